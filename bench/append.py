"""Append throughput: our store vs a bare INSERT vs the eventsourcing library's recorder.

    python -m bench.append        (ACIP_BENCH_DATABASE_URL to use an existing server)

Workloads, run as small chunks (100 appends; 8 x 25; 5 x 100 events) in ROUNDS rounds,
systems interleaved chunk by chunk in rotating order; the median chunk time is kept,
so a burst of load from other processes on the machine hits every system alike:
  single/1   one writer, one event per append (a plan's command), sequential
  single/8   eight concurrent writers, each on its own stream
  batch/100  one writer, 100 events per append, one stream, one transaction
Baselines on the same server: ``bare`` = asyncpg INSERT (multi-row: INSERT ... SELECT
FROM unnest) into a table with the same columns and constraints, no lock, no hash,
no notify; ``peer`` = eventsourcing.postgres.PostgresApplicationRecorder (psycopg 3).
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from multiprocessing import get_context
from multiprocessing.context import SpawnProcess
from pathlib import Path
from typing import Any

import asyncpg

from bench._common import (
    DUMMY_HASH,
    emit,
    environment,
    fresh_database,
    libpq_params,
    new_event,
    postgres_server,
    typical,
)
from eventstore import NewEvent, PostgresEventStore, init_connection

ROUNDS = int(os.environ.get("ACIP_BENCH_ROUNDS", "30"))
# 1: a checkpointer signs the Merkle log every second during the run (production: 30 s),
# to show what it costs the writers (compare with a run without). It runs in a process of
# its own, as `acip up` runs `acip checkpointer`: it shares the server and the CPUs, not
# the writers' event loop.
CHECKPOINTER = os.environ.get("ACIP_BENCH_CHECKPOINTER") == "1"
SINGLE_APPENDS = int(os.environ.get("ACIP_BENCH_SINGLE", "100"))
WRITERS = 8
PER_WRITER = int(os.environ.get("ACIP_BENCH_PER_WRITER", "25"))
BATCH = 100
BATCHES = int(os.environ.get("ACIP_BENCH_BATCHES", "5"))

_BARE_INSERT = (
    "INSERT INTO bare_events (event_id, stream_id, version, type, schema_version, data,"
    " metadata, occurred_at, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
)
_BARE_UNNEST = (
    "INSERT INTO bare_events (event_id, stream_id, version, type, schema_version, data,"
    " metadata, occurred_at, prev_hash, hash)"
    " SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::int[],"
    " $6::jsonb[], $7::jsonb[], $8::timestamptz[], $9::text[], $10::text[])"
)


def _stream() -> str:
    return f"bench-{uuid.uuid4().hex[:16]}"


# -- ours ------------------------------------------------------------------------------


async def ours_sequential(store: PostgresEventStore, events: list[NewEvent]) -> None:
    stream = _stream()
    for version, event in enumerate(events):
        await store.append(stream, version, [event])


async def ours_batches(store: PostgresEventStore, batches: list[list[NewEvent]]) -> None:
    stream = _stream()
    version = 0
    for batch in batches:
        await store.append(stream, version, batch)
        version += len(batch)


# -- bare ------------------------------------------------------------------------------


def _bare_args(stream: str, version: int, event: NewEvent) -> tuple[Any, ...]:
    return (
        event.event_id,
        stream,
        version,
        event.type,
        event.schema_version,
        event.data,
        event.metadata,
        event.occurred_at,
        DUMMY_HASH,
        DUMMY_HASH,
    )


async def bare_sequential(pool: asyncpg.Pool, events: list[NewEvent]) -> None:
    # Like the store, one pool acquire per statement (pool.execute).
    stream = _stream()
    for version, event in enumerate(events, start=1):
        await pool.execute(_BARE_INSERT, *_bare_args(stream, version, event))


async def bare_held_sequential(pool: asyncpg.Pool, events: list[NewEvent]) -> None:
    # Informational floor: one connection held for the whole run (no pool round trips).
    stream = _stream()
    async with pool.acquire() as conn:
        for version, event in enumerate(events, start=1):
            await conn.execute(_BARE_INSERT, *_bare_args(stream, version, event))


async def bare_batches(pool: asyncpg.Pool, batches: list[list[NewEvent]]) -> None:
    stream = _stream()
    version = 0
    for batch in batches:
        columns = list(
            zip(
                *(
                    _bare_args(stream, version + offset, event)
                    for offset, event in enumerate(batch, start=1)
                ),
                strict=True,
            )
        )
        await pool.execute(_BARE_UNNEST, *map(list, columns))
        version += len(batch)


# -- peer ------------------------------------------------------------------------------


def _peer_recorder(url: str) -> Any:
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    params = libpq_params(url)
    datastore = PostgresDatastore(
        params["dbname"],
        params["host"],
        params["port"],
        params["user"],
        params["password"],
        pool_size=WRITERS,
        max_overflow=0,
    )
    recorder = PostgresApplicationRecorder(datastore, events_table_name="peer_events")
    recorder.create_table()
    return recorder


def _peer_state(event: NewEvent) -> bytes:
    # What an eventsourcing transcoder would produce: the event's fields as JSON bytes.
    return json.dumps(
        {
            "event_id": str(event.event_id),
            "data": event.data,
            "metadata": event.metadata,
            "occurred_at": event.occurred_at.isoformat(),
            "schema_version": event.schema_version,
        }
    ).encode()


def peer_sequential(recorder: Any, events: list[NewEvent]) -> None:
    from eventsourcing.persistence import StoredEvent

    originator = uuid.uuid4()
    for version, event in enumerate(events, start=1):
        recorder.insert_events([StoredEvent(originator, version, event.type, _peer_state(event))])


def peer_batches(recorder: Any, batches: list[list[NewEvent]]) -> None:
    from eventsourcing.persistence import StoredEvent

    originator = uuid.uuid4()
    version = 0
    for batch in batches:
        recorder.insert_events(
            [
                StoredEvent(originator, version + offset, event.type, _peer_state(event))
                for offset, event in enumerate(batch, start=1)
            ]
        )
        version += len(batch)


def peer_parallel(recorder: Any, per_writer: list[list[NewEvent]]) -> float:
    barrier = threading.Barrier(len(per_writer) + 1)

    def run(events: list[NewEvent]) -> None:
        barrier.wait()
        peer_sequential(recorder, events)

    with ThreadPoolExecutor(len(per_writer)) as executor:
        futures = [executor.submit(run, events) for events in per_writer]
        barrier.wait()
        started = time.perf_counter()
        for future in futures:
            future.result()
        return time.perf_counter() - started


# -- driver ----------------------------------------------------------------------------


async def _parallel(
    fn: Callable[[list[NewEvent]], Awaitable[None]], per_writer: list[list[NewEvent]]
) -> None:
    await asyncio.gather(*(fn(events) for events in per_writer))


def _fresh_events(count: int) -> list[NewEvent]:
    return [new_event(n) for n in range(count)]


async def _elapsed(work: Awaitable[object]) -> float:
    started = time.perf_counter()
    await work
    return time.perf_counter() - started


def _single_payload() -> list[NewEvent]:
    return _fresh_events(SINGLE_APPENDS)


def _parallel_payload() -> list[list[NewEvent]]:
    return [_fresh_events(PER_WRITER) for _ in range(WRITERS)]


def _batch_payload() -> list[list[NewEvent]]:
    return [_fresh_events(BATCH) for _ in range(BATCHES)]


def _start_checkpointer(url: str) -> SpawnProcess:
    key_file = Path(tempfile.mkdtemp()) / "checkpoint.pem"
    process = get_context("spawn").Process(
        target=_checkpointer_process, args=(url, key_file), daemon=True
    )
    process.start()
    return process


def _checkpointer_process(url: str, key_file: Path) -> None:
    from workers.checkpointer import Checkpointer

    async def checkpoint_every_second() -> None:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
        assert pool is not None
        await Checkpointer(pool, key_file, origin="bench", witness=None, interval=1.0).run()

    asyncio.run(checkpoint_every_second())


async def run(url: str) -> dict[str, Any]:
    # Room for every writer plus the store's notifier connection; the same pool for all.
    pool = await asyncpg.create_pool(
        url, min_size=WRITERS + 2, max_size=WRITERS + 2, init=init_connection
    )
    assert pool is not None
    store = PostgresEventStore(pool)
    recorder = _peer_recorder(url)
    # workload -> (payload factory, system -> timed run of that payload)
    plans: dict[str, tuple[Callable[[], Any], dict[str, Callable[[Any], Awaitable[float]]]]] = {
        "single/1": (
            _single_payload,
            {
                "ours": lambda p: _elapsed(ours_sequential(store, p)),
                "bare": lambda p: _elapsed(bare_sequential(pool, p)),
                "peer": lambda p: _elapsed(asyncio.to_thread(peer_sequential, recorder, p)),
                "bare_held": lambda p: _elapsed(bare_held_sequential(pool, p)),
            },
        ),
        "single/8": (
            _parallel_payload,
            {
                "ours": lambda p: _elapsed(_parallel(partial(ours_sequential, store), p)),
                "bare": lambda p: _elapsed(_parallel(partial(bare_sequential, pool), p)),
                "peer": lambda p: asyncio.to_thread(peer_parallel, recorder, p),
                "bare_held": lambda p: _elapsed(_parallel(partial(bare_held_sequential, pool), p)),
            },
        ),
        "batch/100": (
            _batch_payload,
            {
                "ours": lambda p: _elapsed(ours_batches(store, p)),
                "bare": lambda p: _elapsed(bare_batches(pool, p)),
                "peer": lambda p: _elapsed(asyncio.to_thread(peer_batches, recorder, p)),
            },
        ),
    }
    times: dict[str, dict[str, list[float]]] = {
        workload: {system: [] for system in systems} for workload, (_, systems) in plans.items()
    }
    checkpointer = _start_checkpointer(url) if CHECKPOINTER else None
    try:
        # Warm up: prepared statements, plan caches, connections.
        await ours_sequential(store, _fresh_events(50))
        await bare_sequential(pool, _fresh_events(50))
        await bare_held_sequential(pool, _fresh_events(50))
        await asyncio.to_thread(peer_sequential, recorder, _fresh_events(50))

        for round_number in range(1, ROUNDS + 1):
            for workload, (make_payload, systems) in plans.items():
                names = list(systems)
                # Rotate who goes first, so no system always runs on a warmer server.
                shift = round_number % len(names)
                for system in names[shift:] + names[:shift]:
                    payload = make_payload()
                    times[workload][system].append(await systems[system](payload))
            print(f"round {round_number}/{ROUNDS} done", flush=True)
    finally:
        if checkpointer is not None:
            checkpointer.terminate()
            checkpointer.join()
        await pool.close()
        recorder.datastore.close()

    counts = {
        "single/1": SINGLE_APPENDS,
        "single/8": WRITERS * PER_WRITER,
        "batch/100": BATCH * BATCHES,
    }
    results: dict[str, Any] = {}
    for workload, by_system in times.items():
        rates = {system: counts[workload] / typical(ts) for system, ts in by_system.items() if ts}
        results[workload] = {
            "events_per_chunk": counts[workload],
            "chunks": ROUNDS,
            "events_per_s": {system: round(rate, 1) for system, rate in rates.items()},
            "ours_over_bare": round(rates["ours"] / rates["bare"], 3),
            "ours_over_peer": round(rates["ours"] / rates["peer"], 3),
        }
    return results


def main() -> None:
    with postgres_server() as server_url:
        url = asyncio.run(fresh_database(server_url))
        results = asyncio.run(run(url))
    targets = {"single/1": 0.7, "single/8": 0.7, "batch/100": 0.6}
    print(
        f"{'workload':<10} {'ours ev/s':>10} {'bare ev/s':>10} {'peer ev/s':>10}"
        f" {'ours/bare':>9} {'target':>6} {'ours/peer':>9} {'bare held':>10}"
    )
    for workload, row in results.items():
        rates = row["events_per_s"]
        held = rates.get("bare_held")
        print(
            f"{workload:<10} {rates['ours']:>10.0f} {rates['bare']:>10.0f} {rates['peer']:>10.0f}"
            f" {row['ours_over_bare']:>9.2f} {targets[workload]:>6.2f}"
            f" {row['ours_over_peer']:>9.2f} {held if held is not None else '-':>10}"
        )
    emit(
        {
            "benchmark": "eventstore.append",
            "rounds": ROUNDS,
            "environment": environment(),
            "results": results,
            "targets_ours_over_bare": targets,
        }
    )


if __name__ == "__main__":
    main()
