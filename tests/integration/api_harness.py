"""The API as the processes run it, in-process: a worker, a live projector and the app on
the test's pool and Temporal, with one user per role. Shared by the API and dashboard tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from temporalio.client import Client

from api.app import create_app
from api.context import ApiContext
from api.users import add_user
from domain import KeyFactor, Role
from domain.countries import country_codes
from eventstore import PostgresEventStore
from projections.checkpoints import read_checkpoint
from projections.projector import Projector
from workers.temporal import build_worker

# Every assigned ISO 3166-1 alpha-3 code (the domain refuses made-up ones) but those some
# tests name literally, in a random order per session; each test plan takes the next.
_NAMED_BY_TESTS = frozenset({"GHA", "KEN", "TZA", "SEN", "CAN"})
_untaken: list[str] = random.sample(
    [code for code in country_codes() if code not in _NAMED_BY_TESTS],
    len(country_codes()) - len(_NAMED_BY_TESTS),
)


def unique_country() -> str:
    """A country no other plan of this session has: the Temporal server (and its workflow
    ids, plan-<country>-<year>) is shared by every test module of the session."""
    if not _untaken:
        raise RuntimeError("every country code has a plan this session; use another year")
    return _untaken.pop()


@dataclass
class Stack:
    app: FastAPI
    pool: asyncpg.Pool
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

    async def add_user(self, name: str, role: Role, country: str | None = None) -> str:
        self.tokens[name] = await add_user(self.pool, name, role, country, f"{name}@example.org")
        return self.tokens[name]

    async def settle(self, seconds: float = 10) -> None:
        """Wait until the projector has applied every stored event."""
        store = PostgresEventStore(self.pool)
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            head = await store.head_position()
            if (await read_checkpoint(self.pool, "plans")).position >= head:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("the projector did not catch up")
            await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def running_stack(client: Client, pool: asyncpg.Pool) -> AsyncIterator[Stack]:
    task_queue = f"acip-api-test-{uuid.uuid4()}"
    store = PostgresEventStore(pool)
    projector = Projector(pool, store, poll_interval=0.05)
    context = ApiContext(pool=pool, store=store, temporal=client, task_queue=task_queue)
    stack = Stack(create_app(context), pool, client, task_queue)
    async with build_worker(client, task_queue, pool):
        task = asyncio.create_task(projector.run())
        try:
            yield stack
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def plan_body(country: str, year: int = 2026) -> dict[str, Any]:
    return {
        "country": country,
        "administration": f"Customs of {country}",
        "title": "Integrity action plan",
        "period_start": f"{year}-01-01",
        "period_end": f"{year + 2}-12-31",
    }


class PlanFlow:
    """Drive one plan through the HTTP API, as its people would."""

    def __init__(self, stack: Stack, country: str, focal: str, head: str, manager: str) -> None:
        self.stack = stack
        self.country = country
        self.plan_id = f"{country}-2026"
        self.focal, self.head, self.manager = focal, head, manager

    async def send(self, user: str, **command: Any) -> httpx.Response:
        async with self.stack.http(user) as http:
            return await http.post(f"/plans/{self.plan_id}/commands", json=command)

    async def ok(self, user: str, **command: Any) -> dict[str, Any]:
        response = await self.send(user, **command)
        assert response.status_code in (200, 201), response.text
        body: dict[str, Any] = response.json()
        return body

    async def open(self) -> None:
        async with self.stack.http(self.manager) as http:
            response = await http.post("/plans", json=plan_body(self.country))
        assert response.status_code == 201, response.text

    async def to_drafting(self) -> None:
        await self.open()
        for factor in KeyFactor:
            await self.ok(
                self.focal,
                type="record_diagnostic_finding",
                key_factor=factor.value,
                maturity=3,
                summary=f"About {factor.label}",
            )
        await self.ok(self.focal, type="complete_diagnostic")

    async def draft(self, due: str = "2026-03-31") -> None:
        await self.ok(
            self.focal,
            type="add_milestone",
            milestone_id="M1",
            title="Publish the code of conduct",
            key_factor="code_of_conduct",
            due_date=due,
        )
        await self.ok(
            self.focal,
            type="define_indicator",
            indicator_id="I1",
            name="Staff trained",
            key_factor="code_of_conduct",
            unit="percent",
            baseline=10,
            target=90,
        )

    async def to_review(self, submitter: str | None = None) -> None:
        await self.to_drafting()
        await self.draft()
        await self.ok(submitter or self.focal, type="submit_for_approval")

    async def to_implementation(self) -> None:
        await self.to_review()
        await self.ok(self.head, type="approve_plan", comment="Agreed")
        await self.ok(self.manager, type="approve_plan", comment="Agreed for the WCO")
