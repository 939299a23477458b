"""The API as the processes run it, in-process: a worker, a live projector and the app on
the test's pool and Temporal, with one user per role; and ``ApiPlan``, the plan driver's
HTTP adapter. Shared by the API, dashboard, reliability and e2e tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import AccountSettings, ApiContext
from api.users import add_user
from domain import Actor, Role
from eventstore import EventStore, PostgresEventStore
from projections.checkpoints import read_checkpoint
from projections.projector import Projector
from tests.support.plans import Cast, DrivenPlan, Lifecycle, Milestone, Stage
from tests.support.polling import eventually
from workers.tasks import cancel_and_wait
from workers.temporal import build_worker


async def get_as_browser(app: FastAPI, token: str, path: str) -> httpx.Response:
    """GET ``path`` of the app as a browser that signed in with ``token`` through the
    dashboard's token form (its session cookie kept). A refused token leaves the browser
    signed out, so ``path`` then answers as it does to anyone signed out."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://acip.test"
    ) as browser:
        await browser.post("/ui/login", data={"token": token, "next": "/ui/plans"})
        return await browser.get(path)


ROLE_NAMES = {
    "manager": Role.PROGRAMME_MANAGER,
    "auditor": Role.AUDITOR,
    "observer": Role.OBSERVER,
    "focal": Role.FOCAL_POINT,
    "head": Role.HEAD_OF_ADMINISTRATION,
}


async def dashboard_page(context: ApiContext, token: str, path: str) -> httpx.Response:
    """The dashboard's page at ``path`` as a browser signed in with ``token`` sees it, once
    the projector has caught up with the store; for a test that runs its own worker rather
    than a whole stack."""
    await Projector(context.pool, context.store).catch_up()
    page = await get_as_browser(create_app(context), token, path)
    assert page.status_code == 200, page.text
    return page


@dataclass
class Stack:
    app: FastAPI
    pool: asyncpg.Pool
    # The context's event store: what account code appends people's streams through.
    store: EventStore
    client: Client
    task_queue: str
    tokens: dict[str, str] = field(default_factory=dict)

    def http(self, user: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://acip.test",
            headers=headers,
        )

    async def add_user(
        self, name: str, role: Role, country: str | None = None, *, donor: str | None = None
    ) -> str:
        self.tokens[name] = await add_user(
            self.pool, self.store, name, role, country, f"{name}@example.org", donor=donor
        )
        return self.tokens[name]

    @contextlib.asynccontextmanager
    async def browser(self, user: str) -> AsyncIterator[httpx.AsyncClient]:
        """A browser signed in as ``user`` through the dashboard's token form (its session
        cookie kept)."""
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://acip.test"
        ) as browser:
            login = await browser.post("/ui/login", data={"token": self.tokens[user], "next": ""})
            assert login.status_code == 303, login.text
            yield browser

    async def add_users(self, *names: str, country: str | None = None) -> None:
        """Users named for their role, as the API tests name them: "manager", "auditor",
        "observer", "focal", "head", alone or dotted ("home.observer", "manager.two"), the
        first part that names a role giving it; all of them acting for ``country``."""
        for name in names:
            role = next(ROLE_NAMES[part] for part in name.split(".") if part in ROLE_NAMES)
            await self.add_user(name, role, country)

    async def add_country_team(self, country: str, other_country: str) -> None:
        """The users most API tests act as: a manager, the country's focal point and head,
        a focal point of another country, an auditor."""
        await self.add_user("manager", Role.PROGRAMME_MANAGER)
        await self.add_user("focal", Role.FOCAL_POINT, country)
        await self.add_user("head", Role.HEAD_OF_ADMINISTRATION, country)
        await self.add_user("other.focal", Role.FOCAL_POINT, other_country)
        await self.add_user("auditor", Role.AUDITOR)

    async def user(self, who: Actor | str) -> str:
        """The user name of ``who``; an actor not yet known is added with its role."""
        if isinstance(who, str):
            return who
        if who.name not in self.tokens:
            await self.add_user(who.name, who.role, who.country)
        return who.name

    async def settle(self, seconds: float = 10) -> None:
        """Wait until the projector has applied every stored event."""

        async def behind() -> int:
            checkpoint = await read_checkpoint(self.pool, "plans")
            return await self.store.head_position() - checkpoint.position

        await eventually(
            behind, until=lambda n: n <= 0, within=seconds, what="the projector to catch up"
        )


@contextlib.asynccontextmanager
async def running_stack(
    client: Client, pool: asyncpg.Pool, accounts: AccountSettings | None = None
) -> AsyncIterator[Stack]:
    """The API on its own worker and projector; ``accounts``: sign-in settings (mail, single
    sign-on) when a test needs other than the defaults."""
    task_queue = f"acip-api-test-{uuid.uuid4()}"
    store = PostgresEventStore(pool)
    projector = Projector(pool, store, poll_interval=0.05)
    context = ApiContext(pool=pool, store=store, temporal=client, task_queue=task_queue)
    if accounts is not None:
        context = dataclasses.replace(context, accounts=accounts)
    stack = Stack(create_app(context), pool, store, client, task_queue)
    async with build_worker(client, task_queue, pool, store=store):
        task = asyncio.create_task(projector.run())
        try:
            yield stack
        finally:
            await cancel_and_wait(task)


def stack_fixture(prepare: Callable[[Stack], Awaitable[object]]) -> Any:
    """A module's ``stack`` fixture: the stack on the module's ``dev_env`` and ``pool``,
    ``prepare``d once (its users added, its plans driven) before the module's first test::

        async def team(stack: Stack) -> None:
            await stack.add_users("manager", "auditor")

        stack = stack_fixture(team)
    """

    @pytest.fixture(scope="module")
    async def stack(dev_env: WorkflowEnvironment, pool: asyncpg.Pool) -> AsyncIterator[Stack]:
        async with running_stack(dev_env.client, pool) as running:
            await prepare(running)
            yield running

    return stack


class ApiPlan(DrivenPlan):
    """The plan driver's HTTP adapter: each command posted as its actor, a user of the stack
    (added on first use when the actor is not one the test created)."""

    def __init__(self, stack: Stack, lifecycle: Lifecycle) -> None:
        super().__init__(lifecycle)
        self.stack = stack

    async def send(self, who: Actor | str, **command: Any) -> httpx.Response:
        """POST the command to /plans/{plan_id}/commands as ``who``."""
        user = await self.stack.user(who)
        async with self.stack.http(user) as http:
            return await http.post(f"/plans/{self.plan_id}/commands", json=command)

    async def open(self) -> httpx.Response:
        """POST /plans with the lifecycle's open_plan fields, as the dashboard and CLI do."""
        user = await self.stack.user(self.manager)
        async with self.stack.http(user) as http:
            return await http.post("/plans", json=self.lifecycle.open_body())

    async def ok(self, who: Actor | str, **command: Any) -> dict[str, Any]:
        """Send a command that must be accepted; returns the answer's JSON."""
        response = await self.send(who, **command)
        assert response.status_code in (200, 201), response.text
        body: dict[str, Any] = response.json()
        return body

    async def advance(self, to: Stage) -> dict[str, Any] | None:
        """Send the steps up to ``to`` (open_plan through POST /plans); returns the last
        answer's JSON."""
        answer = None
        for actor, command in self.next_steps(to):
            if command["type"] == "open_plan":
                response = await self.open()
                assert response.status_code == 201, response.text
                answer = response.json()
            else:
                answer = await self.ok(actor, **command)
        return answer


# The API tests' dates are written out (M1 was due on 2026-03-31, so it is overdue on the
# dev server's real clock); their plans are <country>-2026.
API_YEAR = 2026


def api_lifecycle(country: str, *, focal: str, head: str, manager: str) -> Lifecycle:
    """The plan <country>-2026, acted on by the named users of the stack."""
    return Lifecycle.for_plan(
        f"{country}-{API_YEAR}",
        cast=Cast(
            manager=Actor(name=manager, role=Role.PROGRAMME_MANAGER),
            focal=Actor(name=focal, role=Role.FOCAL_POINT, country=country),
            head=Actor(name=head, role=Role.HEAD_OF_ADMINISTRATION, country=country),
        ),
        milestones=(Milestone("M1", date(API_YEAR, 3, 31)),),
    )


def api_plan(
    stack: Stack, country: str, *, focal: str, head: str, manager: str = "manager"
) -> ApiPlan:
    return ApiPlan(stack, api_lifecycle(country, focal=focal, head=head, manager=manager))


async def home_and_away(
    stack: Stack, home: str, away: str, *, prefixes: tuple[str, str] | None = None
) -> tuple[ApiPlan, ApiPlan]:
    """Two countries' plans as the read and access tests look at them: ``home``'s in
    implementation (M1 overdue), ``away``'s under review. Each is driven by its focal point
    and head, the users ``<prefix>.focal`` and ``<prefix>.head`` (the prefix is the country
    code unless ``prefixes`` names them), added unless the test already did."""
    plans = []
    for country, prefix in zip((home, away), prefixes or (home, away), strict=True):
        focal, head = f"{prefix}.focal", f"{prefix}.head"
        for name in (focal, head):
            if name not in stack.tokens:
                await stack.add_users(name, country=country)
        plans.append(api_plan(stack, country, focal=focal, head=head))
    home_plan, away_plan = plans
    await asyncio.gather(
        home_plan.advance(Stage.IMPLEMENTATION), away_plan.advance(Stage.UNDER_REVIEW)
    )
    return home_plan, away_plan


def plan_body(country: str, year: int = API_YEAR) -> dict[str, Any]:
    """The body of POST /plans for <country>-<year>: three years from 1 January."""
    return Lifecycle.for_plan(f"{country}-{year}").open_body()
