"""A worker process SIGKILLed in the middle of an update: a new worker finishes it and the
stream holds each event exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import date

import asyncpg
from temporalio.testing import WorkflowEnvironment

from eventstore import PostgresEventStore
from tests.integration.api_harness import unique_country
from tests.integration.lifecycle import PlanDriver
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
    for _ in range(300):
        waiting = await pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database() "
            "AND query ILIKE '%INSERT INTO events%'"
        )
        if waiting:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the append never reached the database")


async def test_worker_killed_mid_update_finishes_once(
    dev_env: WorkflowEnvironment,
    task_queue: str,
    database_url: str,
    pool: asyncpg.Pool,
    store: PostgresEventStore,
) -> None:
    address = dev_env.client.service_client.config.target_host
    plan_id = f"{unique_country()}-2026"
    plan = PlanDriver(dev_env.client, task_queue, plan_id)
    stream = f"plan-{plan_id}"
    worker = _spawn_worker(database_url, address, task_queue)
    try:
        await plan.open(date(2026, 1, 1), date(2028, 12, 31))
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
    async with build_worker(dev_env.client, task_queue, pool):
        result = await asyncio.wait_for(update, timeout=60)
    assert result.version == 2
    events = await store.read_stream(stream)
    assert [e.type for e in events] == ["plan_opened", "diagnostic_finding_recorded"]
    assert len({e.event_id for e in events}) == 2
