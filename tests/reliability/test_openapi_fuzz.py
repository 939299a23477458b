"""schemathesis from outside, over HTTP, with all its phases, as every role.

The app (with a real worker, projector, PostgreSQL and Temporal behind it) is served by
uvicorn on a loopback port; the `schemathesis run` command, in its own process, reads
/openapi.json and runs its examples, coverage, fuzzing and stateful phases against every
operation, once per kind of user (each role, the country-scoped ones too) and once without
a token. Every response must be a non-5xx answer that the document declares: status code,
content type and body schema. Each run is bounded in examples and time, so the whole test
stays near a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from domain import Role
from tests.support.api_stack import API_YEAR, Stack, home_and_away, stack_fixture
from tests.support.ids import unique_country
from tests.support.polling import eventually

pytestmark = pytest.mark.slow

HOME = unique_country(year=API_YEAR)
AWAY = unique_country(year=API_YEAR)
USERS = {
    "manager": (Role.PROGRAMME_MANAGER, None),
    "auditor": (Role.AUDITOR, None),
    "observer": (Role.OBSERVER, None),
    "home.observer": (Role.OBSERVER, HOME),
    "home.focal": (Role.FOCAL_POINT, HOME),
    "home.head": (Role.HEAD_OF_ADMINISTRATION, HOME),
}
ANONYMOUS = "(no token)"  # every operation must also declare its 401
PHASES = "examples,coverage,fuzzing,stateful"
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)
EXAMPLES_PER_OPERATION = 10
# A time budget per run keeps the test near a minute on two busy cores; on a quiet machine
# a run sends about 200-600 requests (2,195 in all, measured), under load fewer.
SECONDS_PER_USER = 8
MINIMUM_RESPONSES = 300
# The one user whose commands get past every role check to the workflow, where a request
# costs most: twice the time.
DEEPEST_USER = "manager"


async def prepared(stack: Stack) -> None:
    for name, (role, country) in USERS.items():
        await stack.add_user(name, role, country)
    await home_and_away(stack, HOME, AWAY, prefixes=("home", "away"))
    await stack.settle()


stack = stack_fixture(prepared)


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:

        async def started() -> bool:  # uvicorn has no "started" event to await
            return bool(server.started)

        await eventually(started, within=10, interval=0.01, what="uvicorn to start")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def run_schemathesis(
    url: str, token: str | None, report: Path, seconds: int
) -> tuple[int, str]:
    """One `schemathesis run` as one user; its NDJSON events go to ``report``."""
    headers = ["--header", f"Authorization: Bearer {token}"] if token else []
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{url}/openapi.json",
        f"--phases={PHASES}",
        f"--checks={CHECKS}",
        f"--max-examples={EXAMPLES_PER_OPERATION}",
        f"--max-time={seconds}",
        "--generation-deterministic",
        "--seed=20261201",
        "--workers=1",
        "--request-timeout=30",
        "--continue-on-failure",
        "--exclude-path=/healthz",
        "--suppress-health-check=all",
        "--report=ndjson",
        f"--report-ndjson-path={report}",
        "--no-color",
        *headers,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        # Its cache of found crashes (.schemathesis/) goes beside the report, not into the tree.
        cwd=report.parent,
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode(errors="replace")


def responses_in(report: Path) -> Counter[int]:
    """Status codes of every response schemathesis recorded in its NDJSON events."""
    statuses: Counter[int] = Counter()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            response = node.get("response")
            if isinstance(response, dict) and isinstance(response.get("status_code"), int):
                statuses[response["status_code"]] += 1
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for line in report.read_text().splitlines():
        walk(json.loads(line))
    return statuses


async def test_schemathesis_from_outside_as_every_role_finds_no_5xx_and_no_undeclared_answer(
    stack: Stack, tmp_path: Path
) -> None:
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    async with serving(stack.app) as url:
        async with stack.http() as http:  # the document is built once, on its first request
            assert (await http.get("/openapi.json")).status_code == 200
        for user in USERS:
            await fuzz_as(user, url, stack, tmp_path, statuses, failures)
        # Read back before the anonymous run: its made-up credentials get this client
        # blocked by the failed-login limit (429, declared), which is the limit doing its job.
        await assert_opened_plans_readable(stack)
        await fuzz_as(ANONYMOUS, url, stack, tmp_path, statuses, failures)
    total = sum(statuses.values())
    print(f"\nschemathesis: {total} responses, statuses {dict(sorted(statuses.items()))}")
    assert failures == [], "\n".join(failures)
    assert total >= MINIMUM_RESPONSES and not [s for s in statuses if s >= 500]


async def fuzz_as(
    user: str,
    url: str,
    stack: Stack,
    folder: Path,
    statuses: Counter[int],
    failures: list[str],
) -> None:
    report = folder / f"{user}.ndjson"
    # Each user's run starts with the address unthrottled: the failed-login limit is shared
    # in PostgreSQL, so one run's made-up tokens would otherwise answer the next run's
    # requests (even /openapi.json) with 429.
    await stack.pool.execute("DELETE FROM login_failures")
    seconds = SECONDS_PER_USER * (2 if user == DEEPEST_USER else 1)
    status, output = await run_schemathesis(url, stack.tokens.get(user), report, seconds)
    (folder / f"{user}.txt").write_text(output)
    seen = responses_in(report)
    statuses.update(seen)
    if status != 0:
        failures.append(f"--- as {user} (exit {status}) ---\n{output[-6000:]}")
    print(f"\nschemathesis as {user}: {sum(seen.values())} responses, {dict(sorted(seen.items()))}")


async def assert_opened_plans_readable(stack: Stack) -> None:
    """Every plan the generated requests managed to open can be read back through the API
    (a plan id outside <AAA>-<yyyy> would be stored but answered 404 forever)."""
    await stack.settle()
    streams = await stack.pool.fetch(
        "SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE 'plan-%'"
    )
    opened = [row["stream_id"].removeprefix("plan-") for row in streams]
    # A fresh manager: the generated requests may have deactivated the others (user admin);
    # and their made-up tokens tripped the failed-login limit for this address, which is
    # the limit doing its job, not something this read-back checks.
    await stack.add_user("readback.manager", Role.PROGRAMME_MANAGER)
    await stack.pool.execute("DELETE FROM login_failures")
    async with stack.http("readback.manager") as http:
        answers = {p: await http.get(f"/plans/{p}") for p in opened}
    unreadable = {
        p: (a.status_code, a.text[:160]) for p, a in answers.items() if a.status_code != 200
    }
    assert unreadable == {}
    print(f"\n{len(opened) - 2} plans opened by generated requests, all readable")


async def test_the_document_states_every_bound(stack: Stack) -> None:
    async with stack.http() as http:
        document = (await http.get("/openapi.json")).json()
    unbounded = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                kinds = schema.get("anyOf", [schema])
                for kind in kinds:
                    if kind.get("type") == "integer" and "maximum" not in kind:
                        unbounded.append(f"{method} {path} {parameter['name']}")
                    if kind.get("type") == "string" and not (
                        "maxLength" in kind or "enum" in kind or "pattern" in kind
                    ):
                        unbounded.append(f"{method} {path} {parameter['name']}")
    assert unbounded == []
