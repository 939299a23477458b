"""Full rebuild of the plan read models vs a bare read of the same events.

    python -m bench.rebuild       (ACIP_BENCH_DATABASE_URL to use an existing server)

Generates ACIP_BENCH_PLANS (2,000) plan histories with the domain's own decide() and a fake
clock (testkit.synthetic: about 100 events per plan), appends them straight through the
store, then alternates, ACIP_BENCH_ROUNDS times (best round kept):
  bare     SELECT of the same rows in the same keyset pages, jsonb decoded (the pool's
           codecs), nothing else: the floor any rebuild must read through
  rebuild  projections.rebuild.rebuild(): read through the store, parse and fold every
           event with the domain, derive and COPY every read-model row, swap
Targets: rebuild >= 40,000 events/s and >= 0.3x the bare read.
ACIP_BENCH_PROFILE=path: after the rounds, one more rebuild under cProfile, its stats
(sorted by cumulative and by own time) written to that path.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import os
import pstats
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg

from bench._common import best_of, emit, environment, fresh_database, postgres_server
from eventstore import PostgresEventStore, init_connection
from projections.rebuild import gc_paused, rebuild
from testkit.long_history import long_plan_history
from testkit.synthetic import Append, append_histories, plan_history

PLANS = int(os.environ.get("ACIP_BENCH_PLANS", "2000"))
# ACIP_BENCH_YEARS=10: plans of that many years (testkit.long_history: quarterly
# measurements, milestones over the years, ~50 events a year); unset: the 1-2-year plans.
YEARS = int(os.environ.get("ACIP_BENCH_YEARS", "0"))
ROUNDS = int(os.environ.get("ACIP_BENCH_ROUNDS", "3"))
PAGE = 5000
TARGET_RATE = 40_000
PROFILE = os.environ.get("ACIP_BENCH_PROFILE")
TARGET_RATIO = 0.3

_BARE = (
    "SELECT event_id, stream_id, version, global_position, type, schema_version, data,"
    " metadata, occurred_at, recorded_at, prev_hash, hash FROM events"
    " WHERE global_position > $1 ORDER BY global_position LIMIT $2"
)


def _histories(indexes: range) -> list[list[Append]]:
    if YEARS:
        return [_merged(long_plan_history(i, seed=2026, years=YEARS)) for i in indexes]
    return [_merged(plan_history(i, seed=2026)) for i in indexes]


def _merged(appends: list[Append], most: int = 50) -> list[Append]:
    """Consecutive appends of one plan as fewer, larger appends: the same events in the
    same stream order, loaded in a fraction of the round trips."""
    merged: list[Append] = []
    for append in appends:
        last = merged[-1] if merged else None
        if last is not None and len(last.events) + len(append.events) <= most:
            last.events.extend(append.events)
        else:
            merged.append(Append(append.stream_id, append.expected_version, list(append.events)))
    return merged


async def _load(store: PostgresEventStore) -> int:
    cpus = os.cpu_count() or 1
    chunks = [range(start, min(PLANS, start + 100)) for start in range(0, PLANS, 100)]
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=cpus) as workers:
        parts = await asyncio.gather(
            *(loop.run_in_executor(workers, _histories, chunk) for chunk in chunks)
        )
    return await append_histories(store, [h for part in parts for h in part])


async def _bare_read(pool: asyncpg.Pool) -> int:
    count, position = 0, 0
    with gc_paused():  # as the rebuild does: compare reading with reading
        async with pool.acquire() as conn:
            while rows := await conn.fetch(_BARE, position, PAGE):
                count += len(rows)
                position = rows[-1]["global_position"]
    return count


def _write(path: Path, text: str) -> None:
    path.write_text(text)


async def _profiled_rebuild(pool: asyncpg.Pool, store: PostgresEventStore, path: str) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    await rebuild(pool, store, page_size=PAGE)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(60)
    _write(Path(path), out.getvalue())
    print(f"profile of one rebuild written to {path}")


async def run(url: str) -> dict[str, Any]:
    pool = await asyncpg.create_pool(url, min_size=2, max_size=6, init=init_connection)
    assert pool is not None
    store = PostgresEventStore(pool)
    started = time.perf_counter()
    events = await _load(store)
    load_seconds = time.perf_counter() - started
    print(f"generated and appended {events} events of {PLANS} plans in {load_seconds:.1f} s")
    await pool.execute("VACUUM ANALYZE events")
    bare_times, rebuild_times = [], []
    for round_ in range(1, ROUNDS + 1):
        started = time.perf_counter()
        assert await _bare_read(pool) == events
        bare_times.append(time.perf_counter() - started)
        result = await rebuild(pool, store, page_size=PAGE)
        assert result.events == events
        rebuild_times.append(result.seconds)
        print(
            f"round {round_}: bare read {events / bare_times[-1]:,.0f} events/s,"
            f" rebuild {events / rebuild_times[-1]:,.0f} events/s"
        )
    if PROFILE:
        await _profiled_rebuild(pool, store, PROFILE)
    await pool.close()
    bare, rebuilt = best_of(bare_times), best_of(rebuild_times)
    return {
        "events": events,
        "plans": PLANS,
        "load_seconds": round(load_seconds, 1),
        "bare_read_seconds": round(bare, 3),
        "rebuild_seconds": round(rebuilt, 3),
        "bare_read_events_per_s": round(events / bare),
        "rebuild_events_per_s": round(events / rebuilt),
        "rebuild_over_bare": round(bare / rebuilt, 3),
        # Per round, same order: the spread shows how busy the machine was.
        "rounds_rebuild_over_bare": [
            round(b / r, 3) for b, r in zip(bare_times, rebuild_times, strict=True)
        ],
    }


def main() -> None:
    with postgres_server() as server_url:
        url = asyncio.run(fresh_database(server_url))
        results = asyncio.run(run(url))
    rate, ratio = results["rebuild_events_per_s"], results["rebuild_over_bare"]
    print(
        f"rebuild {rate:,} events/s (target {TARGET_RATE:,}),"
        f" {ratio:.2f}x the bare read (target {TARGET_RATIO})"
    )
    emit(
        {
            "benchmark": "projections.rebuild",
            "rounds": ROUNDS,
            "environment": environment(),
            "results": results,
            "targets": {"rebuild_events_per_s": TARGET_RATE, "rebuild_over_bare": TARGET_RATIO},
            "met": rate >= TARGET_RATE and ratio >= TARGET_RATIO,
        }
    )


if __name__ == "__main__":
    main()
