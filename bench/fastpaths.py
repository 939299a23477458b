"""Do the event store's two fast paths earn their keep? Each against its plain path.

    python -m bench.fastpaths        (ACIP_BENCH_DATABASE_URL to use an existing server)

1. Canonical JSON (eventstore.hashing.canonical_json): the C ``json`` encoder checked by a
   round trip, against the ``rfc8785`` reference alone. Measured per event in
   ``prepare_append`` (the CPU an append spends before the database), and end to end:
   sequential single-event appends through PostgresEventStore.
2. RecordedEvent without pydantic's model_construct (eventstore._records.recorded), against
   ``RecordedEvent.model_construct``. Measured per row in ``record`` (a row to an event),
   and end to end: ``read_all`` in pages of 1,000.

Fast and plain take turns chunk by chunk, ROUNDS times; the median chunk is kept, so a
burst of load from other processes hits both alike. The plain paths are swapped in by
replacing the module attribute the store calls, nothing else changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import asyncpg

import eventstore._prepare as prepare_module
import eventstore._records as records_module
import eventstore.store as store_module
from bench._common import emit, environment, fresh_database, new_event, postgres_server, typical
from eventstore import NO_STREAM, PostgresEventStore, RecordedEvent, init_connection
from eventstore._prepare import prepare_append
from eventstore.hashing import _reference, canonical_json

ROUNDS = int(os.environ.get("ACIP_BENCH_ROUNDS", "15"))
CPU_CHUNK = 2000  # events per CPU chunk
APPEND_CHUNK = 50  # appends per database chunk
READ_EVENTS = int(os.environ.get("ACIP_BENCH_READ_EVENTS", "20000"))
PAGE = 1000


def plain_recorded(fields: dict[str, Any]) -> RecordedEvent:
    return RecordedEvent.model_construct(**fields)


@contextlib.contextmanager
def plain_json() -> Iterator[None]:
    prepare_module.canonical_json = _reference
    try:
        yield
    finally:
        prepare_module.canonical_json = canonical_json


@contextlib.contextmanager
def plain_records() -> Iterator[None]:
    fast = records_module.recorded
    records_module.recorded = plain_recorded
    store_module._recorded = plain_recorded
    try:
        yield
    finally:
        records_module.recorded = fast
        store_module._recorded = fast


@contextlib.contextmanager
def unchanged() -> Iterator[None]:
    yield


async def interleaved(
    chunk: Callable[[], Awaitable[None]],
    plain: Callable[[], contextlib.AbstractContextManager[None]],
) -> tuple[float, float]:
    """(fast, plain) median chunk seconds; the order alternates every round."""
    fast_times: list[float] = []
    plain_times: list[float] = []
    for round_ in range(ROUNDS):
        variants = [(unchanged, fast_times), (plain, plain_times)]
        for context, times in variants if round_ % 2 == 0 else variants[::-1]:
            with context():
                started = time.perf_counter()
                await chunk()
                times.append(time.perf_counter() - started)
    return typical(fast_times), typical(plain_times)


def report(name: str, unit: str, count: int, fast: float, plain: float) -> dict[str, Any]:
    per_fast, per_plain = fast / count * 1e6, plain / count * 1e6
    gain = 1 - fast / plain
    print(
        f"{name:28} fast {per_fast:8.2f} {unit}  plain {per_plain:8.2f} {unit}"
        f"  time saved {gain:6.1%}  speed-up {plain / fast:5.2f}x"
    )
    return {"fast_us": per_fast, "plain_us": per_plain, "time_saved": gain}


async def main() -> None:
    results: dict[str, Any] = {"environment": environment(), "rounds": ROUNDS}
    events = [new_event(n) for n in range(CPU_CHUNK)]

    async def prepare_chunk() -> None:
        for event in events:
            prepare_append("plan-BENCH-2026", NO_STREAM, [event])

    results["prepare_append"] = report(
        "prepare_append (per event)",
        "us",
        CPU_CHUNK,
        *await interleaved(prepare_chunk, plain_json),
    )

    fields = [
        {
            **event.model_dump(),
            "stream_id": "plan-BENCH-2026",
            "version": n + 1,
            "global_position": n + 1,
            "recorded_at": datetime.now(UTC),
            "prev_hash": "0" * 64,
            "hash": "f" * 64,
        }
        for n, event in enumerate(events)
    ]

    async def construct_chunk() -> None:
        make = records_module.recorded
        for one in fields:
            make(dict(one))

    results["recorded_event"] = report(
        "RecordedEvent (per row)",
        "us",
        CPU_CHUNK,
        *await interleaved(construct_chunk, plain_records),
    )

    with postgres_server() as server_url:
        url = await fresh_database(server_url)
        pool = await asyncpg.create_pool(url, min_size=2, max_size=4, init=init_connection)
        assert pool is not None
        try:
            store = PostgresEventStore(pool)

            async def append_chunk() -> None:
                for n in range(APPEND_CHUNK):
                    stream = f"bench-{uuid.uuid4().hex[:16]}"
                    await store.append(stream, NO_STREAM, [new_event(n)])

            results["append_single"] = report(
                "append, 1 writer (per event)",
                "us",
                APPEND_CHUNK,
                *await interleaved(append_chunk, plain_json),
            )
            for start in range(0, READ_EVENTS, 100):
                batch = [new_event(n) for n in range(start, start + 100)]
                await store.append(f"bench-read-{start}", NO_STREAM, batch)

            stored = await store.count_events(0)

            async def read_chunk() -> None:
                position = 0
                while page := await store.read_all(position, PAGE):
                    position = page[-1].global_position

            results["read_all"] = report(
                "read_all (per event)",
                "us",
                stored,
                *await interleaved(read_chunk, plain_records),
            )
        finally:
            await pool.close()
    emit(results)


if __name__ == "__main__":
    asyncio.run(main())
