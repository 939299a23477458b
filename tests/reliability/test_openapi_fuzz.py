"""schemathesis against the app's own OpenAPI document, in process (ASGI), as every role.

Hundreds of generated requests (valid and invalid bodies, paths and queries; the document's
examples first) go to every operation of the JSON API, authenticated as each of the six
kinds of user and once without a token, with a real worker, projector, PostgreSQL and
Temporal behind the app. Every response must be a non-5xx answer that the document
declares: status code, content type and body schema.

Hypothesis runs in a thread (it is synchronous); each request is sent on the test's event
loop, where the app's pool and Temporal client live.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok
from temporalio.testing import WorkflowEnvironment

from domain import Role
from tests.integration.api_harness import PlanFlow, Stack, running_stack, unique_country

pytestmark = pytest.mark.slow

T = TypeVar("T")
HOME = unique_country()
AWAY = unique_country()
USERS = {
    "manager": (Role.PROGRAMME_MANAGER, None),
    "auditor": (Role.AUDITOR, None),
    "observer": (Role.OBSERVER, None),
    "home.observer": (Role.OBSERVER, HOME),
    "home.focal": (Role.FOCAL_POINT, HOME),
    "home.head": (Role.HEAD_OF_ADMINISTRATION, HOME),
}
EXAMPLES_PER_OPERATION_AND_USER = 9
ANONYMOUS = "(no token)"  # every operation must also declare its 401
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
async def stack(dev_env: WorkflowEnvironment, pool: asyncpg.Pool) -> AsyncIterator[Stack]:
    async with running_stack(dev_env.client, pool) as stack:
        for name, (role, country) in USERS.items():
            await stack.add_user(name, role, country)
        await stack.add_user("away.focal", Role.FOCAL_POINT, AWAY)
        await stack.add_user("away.head", Role.HEAD_OF_ADMINISTRATION, AWAY)
        home = PlanFlow(stack, HOME, "home.focal", "home.head", "manager")
        away = PlanFlow(stack, AWAY, "away.focal", "away.head", "manager")
        await asyncio.gather(home.to_implementation(), away.to_review())
        await stack.settle()
        yield stack


def run_on(loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=120)


# Hypothesis runs in a thread while the app runs on the event loop beside it: it notices the
# global random state move under it, which is not its strategies' doing.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
async def test_generated_requests_as_every_role_get_declared_non_5xx_answers(
    stack: Stack,
) -> None:
    schema = schemathesis.openapi.from_dict(stack.app.openapi())
    results = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results)
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    operations = [op for op in operations if op.path != "/healthz"]
    loop = asyncio.get_running_loop()
    transport = httpx.ASGITransport(app=stack.app)
    statuses: Counter[int] = Counter()
    failures: list[str] = []

    async def send(user: str, kwargs: dict[str, Any]) -> httpx.Response:
        headers = {
            key: value
            for key, value in kwargs.pop("headers", {}).items()
            if key.lower() not in ("authorization", "cookie")
        }
        if user != ANONYMOUS:
            headers["Authorization"] = f"Bearer {stack.tokens[user]}"
        kwargs.pop("cookies", None)
        async with httpx.AsyncClient(transport=transport, base_url="http://acip.test") as http:
            return await http.request(headers=headers, **kwargs)

    def fuzz(user: str, operation: Any) -> None:
        @settings(
            max_examples=EXAMPLES_PER_OPERATION_AND_USER,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            kwargs = case.as_transport_kwargs(base_url="http://acip.test")
            response = run_on(loop, send(user, kwargs))
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as error:  # shrunk failure: keep it, go on
            lines = [line.strip() for line in str(error).splitlines() if line.strip()]
            failures.append(f"{operation.label} as {user}: {' | '.join(lines[1:5])}")

    def fuzz_all() -> None:
        for user in [*USERS, ANONYMOUS]:
            for operation in operations:
                fuzz(user, operation)

    await asyncio.to_thread(fuzz_all)
    total = sum(statuses.values())
    assert failures == [], "\n".join(failures)
    assert total >= 300 and not [s for s in statuses if s >= 500]

    # Every plan the generated requests managed to open can be read back through the API
    # (a plan id outside <AAA>-<yyyy> would be stored but answered 404 forever).
    await stack.settle()
    streams = await stack.pool.fetch("SELECT DISTINCT stream_id FROM events")
    opened = [row["stream_id"].removeprefix("plan-") for row in streams]
    async with stack.http("manager") as http:
        unreadable = [p for p in opened if (await http.get(f"/plans/{p}")).status_code != 200]
    assert unreadable == []
    print(
        f"\nschemathesis: {total} requests, statuses {dict(sorted(statuses.items()))}; "
        f"{len(opened) - 2} plans opened by generated requests, all readable"
    )
