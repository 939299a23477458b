"""A worker process SIGKILLed in the middle of an update: a new worker finishes it and the
stream holds each event exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import asyncpg
from temporalio.testing import WorkflowEnvironment

from eventstore import PostgresEventStore
from tests.support.ids import unique_plan_id
from tests.support.plans import Lifecycle, Stage, WorkflowPlan
from tests.support.polling import eventually
from workers.temporal import build_worker


def _spawn_worker(database_url: str, temporal_address: str, task_queue: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACIP_")}
    env.update(
        ACIP_DATABASE_URL=database_url,
        ACIP_TEMPORAL_ADDRESS=temporal_address,
        ACIP_TASK_QUEUE=task_queue,
        ACIP_LOG_FORMAT="json",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _wait_for_blocked_append(pool: asyncpg.Pool) -> None:
    async def appends_waiting_on_the_lock() -> int:
        return int(
            await pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database() "
                "AND query ILIKE '%INSERT INTO events%'"
            )
        )

    await eventually(
        appends_waiting_on_the_lock, within=30, what="the append to reach the database"
    )


async def test_worker_killed_mid_update_finishes_once(
    dev_env: WorkflowEnvironment,
    task_queue: str,
    database_url: str,
    pool: asyncpg.Pool,
    store: PostgresEventStore,
) -> None:
    address = dev_env.client.service_client.config.target_host
    plan_id = unique_plan_id()
    plan = WorkflowPlan(dev_env.client, task_queue, Lifecycle.for_plan(plan_id))
    stream = f"plan-{plan_id}"
    worker = _spawn_worker(database_url, address, task_queue)
    try:
        await plan.advance(Stage.OPENED)
        # Hold the events table so the next append blocks inside the worker's activity.
        blocker = await asyncpg.connect(database_url)
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("LOCK TABLE events IN EXCLUSIVE MODE")
        update = asyncio.create_task(
            plan.send(
                plan.focal,
                type="record_diagnostic_finding",
                key_factor="automation",
                maturity=4,
                summary="Single window in place",
            )
        )
        await _wait_for_blocked_append(pool)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        await transaction.rollback()
        await blocker.close()
    finally:
        if worker.poll() is None:
            worker.kill()
    async with build_worker(dev_env.client, task_queue, pool, store=PostgresEventStore(pool)):
        result = await asyncio.wait_for(update, timeout=60)
    assert result.version == 2
    events = await store.read_stream(stream)
    assert [e.type for e in events] == ["plan_opened", "diagnostic_finding_recorded"]
    assert len({e.event_id for e in events}) == 2
