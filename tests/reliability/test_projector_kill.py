"""Fault 5: a projector process SIGKILLed in the middle of a batch, with a second projector
process standing by, then killed again at random moments while events keep coming.
Afterwards the read models equal a rebuild from position 0.

"Mid-batch" is made exact: the test holds a lock on a read-model table, so the active
projector's batch waits inside its transaction (checkpoint row locked, rows being replaced)
until the test has killed it.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from eventstore import PostgresEventStore
from projections.checkpoints import read_checkpoint
from testkit.synthetic import append_histories, plan_history
from tests.reliability.harness import (
    Child,
    Children,
    admin_pool,
    assert_read_models_equal_rebuild,
    assert_streams_intact,
    children,
    projector_caught_up,
)
from tests.support.polling import eventually
from tests.support.pools import event_pool

pytestmark = pytest.mark.slow

PLANS_PER_PHASE = 15
RANDOM_KILLS = 3


@pytest.fixture
async def pool(fresh_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with event_pool(fresh_database_url, max_size=8) as created:
        yield created


async def load(store: PostgresEventStore, phase: int) -> int:
    first = phase * PLANS_PER_PHASE
    histories = [
        plan_history(i, seed=5, implementation_steps=30)
        for i in range(first, first + PLANS_PER_PHASE)
    ]
    return await append_histories(store, histories, writers=4)


async def active_of(projectors: list[Child]) -> Child:
    """The projector holding the lease: the only one that logs it is applying."""
    found: list[Child] = []

    async def one_applies() -> bool:
        found[:] = [p for p in projectors if p.alive() and "projector is applying" in p.log()]
        return len(found) == 1

    await eventually(one_applies, within=60, what="one projector to take the lease")
    return found[0]


async def test_projector_killed_mid_batch_with_a_standby(
    pool: asyncpg.Pool, fresh_database_url: str, tmp_path: Path
) -> None:
    store = PostgresEventStore(pool)
    events = await load(store, 0)
    loop = asyncio.get_running_loop()
    async with admin_pool(fresh_database_url) as admin:
        with children(tmp_path) as kids:
            projectors = [kids.projector(fresh_database_url) for _ in range(2)]
            await eventually(
                lambda: projector_caught_up(admin), within=90, what="the first catch-up"
            )
            first = await active_of(projectors)

            # Hold a read-model table, then give the projector a batch to apply.
            blocker = await admin.acquire()
            transaction = blocker.transaction()
            await transaction.start()
            try:
                # EXCLUSIVE, not ACCESS EXCLUSIVE: that one takes a transaction id, and an
                # open transaction id holds every commit-safe reader back (decision 0001).
                await blocker.execute("LOCK TABLE rm_plans.milestones IN EXCLUSIVE MODE")
                holder = await blocker.fetchval("SELECT pg_backend_pid()")
                before = (await read_checkpoint(admin, "plans")).position
                events += await load(store, 1)
                waiting: list[str] = []

                async def batch_waits() -> bool:
                    waiting[:] = [
                        row["query"]
                        for row in await admin.fetch(
                            "SELECT query FROM pg_stat_activity"
                            " WHERE $1 = ANY(pg_blocking_pids(pid))",
                            holder,
                        )
                    ]
                    return bool(waiting)

                await eventually(batch_waits, within=60, what="a batch to reach the lock")
                assert "rm_plans" in waiting[0]
                first.kill()
                killed_at = loop.time()
            finally:
                await transaction.rollback()
                await admin.release(blocker)
            # Nothing of the killed batch was committed.
            assert (await read_checkpoint(admin, "plans")).position == before

            standby = await active_of([p for p in projectors if p is not first])
            await eventually(
                lambda: projector_caught_up(admin), within=90, what="the standby to catch up"
            )
            took_over_in = loop.time() - killed_at

            # Kill the active projector at random moments while events keep coming.
            rng = random.Random(8)
            live = [standby, kids.projector(fresh_database_url)]
            loading = asyncio.ensure_future(load(store, 2))
            for _ in range(RANDOM_KILLS):
                victim = await active_of(live)
                await asyncio.sleep(rng.uniform(0.05, 0.4))
                victim.kill()
                live = [p for p in live if p is not victim]
                live.append(kids.projector(fresh_database_url))
            events += await asyncio.wait_for(loading, timeout=120)
            await eventually(
                lambda: projector_caught_up(admin), within=120, what="the last catch-up"
            )
            _stop_all(kids)

        checked = await assert_streams_intact(store)
        rows = await assert_read_models_equal_rebuild(pool)

    assert checked == events
    print(
        f"\nprojector kill: {events} events; a standby took over and caught up "
        f"{took_over_in:.1f} s after the kill mid-batch; {RANDOM_KILLS} more kills at random "
        f"moments; read models ({rows} rows) equal a rebuild"
    )


def _stop_all(kids: Children) -> None:
    for child in kids.started:
        if child.alive():
            child.terminate()
