"""Fault 1: the worker process SIGKILLed while an update is in flight.

Two plans, one kill, both cases made exact inside PostgreSQL (harness.VersionHold):

- plan A: the append is waiting inside PostgreSQL when the worker dies, and its backend is
  ended before it can commit: nothing of the update is stored;
- plan B: the worker is frozen (SIGSTOP), the append then commits in PostgreSQL and the row
  is seen committed, and only then is the worker killed: the commit happened, the reply to
  Temporal never did (the "timeout that hid a commit").

A new worker takes over. Each caller gets exactly one answer, the stream holds each event
once, and sending B's command again with its command_id returns the first result.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from eventstore import PostgresEventStore, init_connection
from tests.reliability.harness import (
    VersionHold,
    admin_pool,
    assert_streams_intact,
    children,
    terminate_backend,
)
from tests.support.ids import unique_plan_id
from tests.support.plans import Lifecycle, Stage, WorkflowPlan
from tests.support.polling import eventually
from workers.temporal import build_worker
from workflows.plan import PlanWorkflow

pytestmark = pytest.mark.slow

FINDING = {
    "type": "record_diagnostic_finding",
    "key_factor": "automation",
    "maturity": 4,
    "summary": "Single window in place",
}


async def _row_at(admin: asyncpg.Pool, stream_id: str, version: int) -> bool:
    found = await admin.fetchval(
        "SELECT count(*) FROM events"
        " WHERE stream_id = $1 AND version = $2 AND type <> 'placeholder'",
        stream_id,
        version,
    )
    return bool(found)


async def test_worker_killed_before_and_after_the_append_commit(
    dev_env: WorkflowEnvironment, task_queue: str, fresh_database_url: str, tmp_path: Path
) -> None:
    client = dev_env.client
    address = client.service_client.config.target_host
    a = WorkflowPlan(client, task_queue, Lifecycle.for_plan(unique_plan_id()))
    b = WorkflowPlan(client, task_queue, Lifecycle.for_plan(unique_plan_id()))
    stream_a, stream_b = f"plan-{a.plan_id}", f"plan-{b.plan_id}"
    command_id = str(uuid.uuid4())
    loop = asyncio.get_running_loop()

    async with admin_pool(fresh_database_url) as admin:
        with children(tmp_path) as kids:
            worker = kids.worker(fresh_database_url, address, task_queue)
            await asyncio.gather(
                a.advance(Stage.OPENED),
                b.advance(Stage.OPENED),
            )
            hold_a = await VersionHold.start(fresh_database_url, stream_a, 2)
            hold_b = await VersionHold.start(fresh_database_url, stream_b, 2)
            try:
                update_a = asyncio.create_task(a.send(a.focal, **FINDING))
                update_b = asyncio.create_task(b.send(b.focal, **FINDING, command_id=command_id))
                backend_a = await hold_a.wait_for_waiter(admin)
                await hold_b.wait_for_waiter(admin)

                # B: commit inside PostgreSQL while the worker cannot read the reply.
                worker.freeze()
                await hold_b.release()
                await eventually(lambda: _row_at(admin, stream_b, 2), within=30, what="B's commit")
                worker.kill()
                killed_at = loop.time()

                # A: the worker is gone; end its backend before the append can commit.
                await terminate_backend(admin, backend_a)
                await hold_a.release()
                assert not await _row_at(admin, stream_a, 2)
                assert not update_a.done() and not update_b.done()
            finally:
                await hold_a.release()
                await hold_b.release()

        pool = await asyncpg.create_pool(
            fresh_database_url, min_size=1, max_size=4, init=init_connection
        )
        assert pool is not None
        try:
            async with build_worker(client, task_queue, pool, store=PostgresEventStore(pool)):
                result_a, result_b = await asyncio.wait_for(
                    asyncio.gather(update_a, update_b), timeout=120
                )
                answered_after = loop.time() - killed_at
                again = await b.send(b.focal, **FINDING, command_id=command_id)
                state_b = await client.get_workflow_handle(stream_b).query(PlanWorkflow.state)
            store = PostgresEventStore(pool)
            events_a = await store.read_stream(stream_a)
            events_b = await store.read_stream(stream_b)
            await assert_streams_intact(store)
        finally:
            await pool.close()

    expected_types = ["plan_opened", "diagnostic_finding_recorded"]
    assert [e.type for e in events_a] == expected_types
    assert [e.type for e in events_b] == expected_types
    assert (result_a.version, result_b.version) == (2, 2)
    # The one answer each caller got is the event that is stored, once.
    assert [e.event_id for e in result_a.events] == [events_a[1].event_id]
    assert [e.event_id for e in result_b.events] == [events_b[1].event_id]
    # The retried command returns the first result and appends nothing.
    assert (again.version, [e.event_id for e in again.events]) == (2, [events_b[1].event_id])
    assert state_b is not None and state_b.version == 2
    # One start-to-close timeout of the append activity (10 s), then a retry.
    assert answered_after < 90
    print(f"\nworker kill: both callers answered {answered_after:.1f} s after the kill")
