"""Projection lag: from an append's commit to its plan summary showing it, under steady load.

    python -m bench.lag           (ACIP_BENCH_DATABASE_URL to use an existing server)

A projector runs in its own process (as `acip projector` does). This process appends
ACIP_BENCH_RATE (200) decisions per second, each one decision of a realistic plan history
(testkit.synthetic, 1-2 events), for ACIP_BENCH_SECONDS (60), and polls the plan summary
every millisecond for the highest position it shows. The lag of an append is the time from
the append's return (committed) to the first poll that shows its position; the first
ACIP_BENCH_WARMUP (5) seconds are left out. Reported: p50, p90, p99, max.
"""

from __future__ import annotations

import asyncio
import collections
import multiprocessing
import os
import statistics
import time
from typing import Any

import asyncpg

from bench._common import emit, environment, fresh_database, postgres_server
from eventstore import PostgresEventStore, init_connection
from testkit.synthetic import interleaved, plan_history

RATE = float(os.environ.get("ACIP_BENCH_RATE", "200"))
SECONDS = float(os.environ.get("ACIP_BENCH_SECONDS", "60"))
WARMUP = float(os.environ.get("ACIP_BENCH_WARMUP", "5"))
PLANS = 400


def _projector(url: str) -> None:
    from projections.projector import Projector

    async def main() -> None:
        pool = await asyncpg.create_pool(url, min_size=2, max_size=4, init=init_connection)
        assert pool is not None
        await Projector(pool, PostgresEventStore(pool)).run()

    asyncio.run(main())


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]


async def run(url: str) -> dict[str, Any]:
    appends = list(interleaved([plan_history(i, seed=7) for i in range(PLANS)], seed=7))
    needed = int(RATE * SECONDS)
    assert len(appends) >= needed, f"{len(appends)} appends generated, {needed} needed"
    pool = await asyncpg.create_pool(url, min_size=2, max_size=4, init=init_connection)
    assert pool is not None
    store = PostgresEventStore(pool)
    # (position, committed at) of appends not yet seen in the summary
    pending: collections.deque[tuple[int, float]] = collections.deque()
    lags: list[tuple[float, float]] = []  # (committed at, lag)
    done = asyncio.Event()

    async def poll() -> None:
        async with pool.acquire() as conn:
            while not (done.is_set() and not pending):
                shown = await conn.fetchval("SELECT max(last_position) FROM rm_plans.summary")
                now = time.perf_counter()
                while pending and shown is not None and pending[0][0] <= shown:
                    committed = pending.popleft()[1]
                    lags.append((committed, now - committed))
                await asyncio.sleep(0.001)

    polling = asyncio.create_task(poll())
    started = time.perf_counter()
    for n, append in enumerate(appends[:needed]):
        delay = started + n / RATE - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        result = await store.append(append.stream_id, append.expected_version, append.events)
        pending.append((result.events[-1].global_position, time.perf_counter()))
    elapsed = time.perf_counter() - started
    done.set()
    await asyncio.wait_for(polling, 60)
    await pool.close()
    measured = [lag * 1000 for committed, lag in lags if committed - started >= WARMUP]
    return {
        "appends": needed,
        "achieved_appends_per_s": round(needed / elapsed, 1),
        "measured": len(measured),
        "lag_ms": {
            "p50": round(statistics.median(measured), 1),
            "p90": round(_percentile(measured, 0.90), 1),
            "p99": round(_percentile(measured, 0.99), 1),
            "max": round(max(measured), 1),
        },
    }


def main() -> None:
    with postgres_server() as server_url:
        url = asyncio.run(fresh_database(server_url))
        projector = multiprocessing.get_context("spawn").Process(target=_projector, args=(url,))
        projector.start()
        try:
            results = asyncio.run(run(url))
        finally:
            projector.terminate()
            projector.join(10)
    lag = results["lag_ms"]
    print(
        f"{results['achieved_appends_per_s']} appends/s for {SECONDS:.0f} s:"
        f" append->summary lag p50 {lag['p50']} ms, p90 {lag['p90']} ms,"
        f" p99 {lag['p99']} ms, max {lag['max']} ms"
    )
    emit(
        {
            "benchmark": "projections.lag",
            "rate": RATE,
            "seconds": SECONDS,
            "environment": environment(),
            "results": results,
        }
    )


if __name__ == "__main__":
    main()
