"""Fault 3: every PostgreSQL connection of the database dropped (pg_terminate_backend), again
and again, while a worker process appends the commands of ten plans and a projector process
follows them. Afterwards: every acknowledged event is stored once, with nothing else (no
partial batch), the worker and the projector carry on by themselves, and the read models
equal a rebuild."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from eventstore import PostgresEventStore, init_connection
from tests.reliability.harness import (
    admin_pool,
    assert_read_models_equal_rebuild,
    assert_streams_intact,
    children,
    database_name,
    projector_caught_up,
    terminate_all_backends,
)
from tests.reliability.plans import Caller
from tests.support.ids import unique_plan_id
from tests.support.plans import Lifecycle, Milestone, Stage, WorkflowPlan
from tests.support.polling import eventually
from workflows.plan import PlanWorkflow

pytestmark = pytest.mark.slow

PLANS = 10
KILL_EVERY = 0.1  # seconds between two rounds of pg_terminate_backend
MAX_KILL_ROUNDS = 200


async def test_connections_dropped_during_appends_and_projection(
    dev_env: WorkflowEnvironment, task_queue: str, fresh_database_url: str, tmp_path: Path
) -> None:
    client = dev_env.client
    address = client.service_client.config.target_host
    # Dates written out: the measurements (2026-06-30) must not be in the dev server's future.
    callers = [
        Caller(
            WorkflowPlan(
                client,
                task_queue,
                Lifecycle.for_plan(
                    unique_plan_id(year=2026),
                    milestones=(
                        Milestone("M1", date(2027, 6, 30)),
                        Milestone("M2", date(2027, 12, 31)),
                    ),
                ),
            )
        )
        for _ in range(PLANS)
    ]
    rounds = ended = 0
    loop = asyncio.get_running_loop()

    async with admin_pool(fresh_database_url) as admin:
        database = database_name(fresh_database_url)
        with children(tmp_path) as kids:
            worker = kids.worker(fresh_database_url, address, task_queue)
            projector = kids.projector(fresh_database_url)

            # Opening waits for the worker to start; the faults begin after that.
            await asyncio.gather(*(c.run(c.plan.next_steps(Stage.OPENED)) for c in callers))
            driving = asyncio.gather(*(_lifecycle(c) for c in callers))
            while not driving.done() and rounds < MAX_KILL_ROUNDS:
                await asyncio.sleep(KILL_EVERY)
                ended += await terminate_all_backends(admin, database)
                rounds += 1
            last_kill = loop.time()
            await asyncio.wait_for(driving, timeout=180)

            # Both processes carry on by themselves: new commands, and the projector catches up.
            for caller in callers:
                await caller.send(
                    caller.plan.focal,
                    {"type": "record_measurement", "indicator_id": "I1", "value": 20,
                     "measured_on": "2026-06-30"},
                )  # fmt: skip
            waited_from = loop.time()
            await eventually(
                lambda: projector_caught_up(admin), within=120, what="the projector to catch up"
            )
            caught_up_after = loop.time() - waited_from
            recovered_in = loop.time() - last_kill
            assert worker.alive() and projector.alive()
            projector.terminate()
            failed_appends = worker.log().count("Completing activity as failed")
            failed_batches = projector.log().count("projector batch failed")
            # The projector reports the real cause, not its clean-up's InterfaceError on the
            # proxy asyncpg detaches from a connection the server ended.
            assert "cannot call Connection.is_closed()" not in projector.log()
            versions = {
                c.plan.plan_id: (
                    await client.get_workflow_handle(f"plan-{c.plan.plan_id}").query(
                        PlanWorkflow.state
                    )
                )
                for c in callers
            }

        pool = await asyncpg.create_pool(
            fresh_database_url, min_size=1, max_size=4, init=init_connection
        )
        assert pool is not None
        try:
            store = PostgresEventStore(pool)
            checked = await assert_streams_intact(store)
            for caller in callers:
                stream = f"plan-{caller.plan.plan_id}"
                stored = [(e.version, e.event_id) for e in await store.read_stream(stream)]
                acknowledged = caller.acknowledged()
                # Each acknowledged event stored once, at its version, and nothing else.
                assert Counter(acknowledged) == Counter(stored), stream
                state = versions[caller.plan.plan_id]
                assert state is not None and state.version == len(stored)
            rows = await assert_read_models_equal_rebuild(pool)
        finally:
            await pool.close()

    assert rounds >= 3 and ended >= rounds
    retries = sum(c.retries for c in callers)
    print(
        f"\nconnection drops: {rounds} rounds ended {ended} connections; {checked} events "
        f"intact; {failed_appends} append attempts and {failed_batches} projector batches "
        f"failed and were retried; caller retries {retries}; "
        f"read models {rows} rows equal a rebuild; "
        f"projector caught up {recovered_in:.1f} s after the last drop "
        f"(wait {caught_up_after:.1f} s)"
    )


async def _lifecycle(caller: Caller) -> None:
    plan = caller.plan
    await caller.run(plan.next_steps(Stage.IMPLEMENTATION))
    await caller.send(
        plan.focal,
        {"type": "report_milestone_progress", "milestone_id": "M1", "percent": 30,
         "note": "Under way"},
    )  # fmt: skip
