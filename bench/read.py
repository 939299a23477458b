"""Read throughput: all events in global order, payloads decoded.

    python -m bench.read        (ACIP_BENCH_DATABASE_URL to use an existing server)

``ours``: PostgresEventStore.read_all in pages of 1000 (RecordedEvent objects, data and
metadata decoded, commit-safe filter). ``bare``: the same SELECT of the same rows from a
table with the same columns (no commit-safe filter), jsonb decoded by the same codec,
rows left as asyncpg Records. ``bare_raw`` (informational): the same without decoding
jsonb. ``peer``: eventsourcing's PostgresApplicationRecorder.select_notifications, with
json.loads of each event's state. Alternating rounds, best round kept.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from typing import Any

import asyncpg

from bench._common import (
    best_of,
    emit,
    environment,
    fresh_database,
    new_event,
    postgres_server,
)
from bench.append import _peer_recorder, _peer_state
from eventstore import NO_STREAM, PostgresEventStore, init_connection

EVENTS = int(os.environ.get("ACIP_BENCH_READ_EVENTS", "50000"))
ROUNDS = int(os.environ.get("ACIP_BENCH_ROUNDS", "5"))
PAGE = 1000

_BARE_PAGE = (
    "SELECT event_id, stream_id, version, global_position, type, schema_version, data,"
    " metadata, occurred_at, recorded_at, prev_hash, hash FROM bare_events"
    " WHERE global_position > $1 ORDER BY global_position LIMIT $2"
)


async def populate(store: PostgresEventStore, pool: asyncpg.Pool, recorder: Any) -> None:
    from eventsourcing.persistence import StoredEvent

    per_stream = 100
    for start in range(0, EVENTS, per_stream):
        batch = [new_event(n) for n in range(start, start + per_stream)]
        await store.append(f"bench-{uuid.uuid4().hex[:16]}", NO_STREAM, batch)
        originator = uuid.uuid4()
        await asyncio.to_thread(
            recorder.insert_events,
            [
                StoredEvent(originator, version, e.type, _peer_state(e))
                for version, e in enumerate(batch, start=1)
            ],
        )
    # Same rows, same order, same positions.
    await pool.execute(
        "INSERT INTO bare_events (event_id, stream_id, version, type, schema_version, data,"
        " metadata, occurred_at, recorded_at, prev_hash, hash)"
        " OVERRIDING SYSTEM VALUE SELECT event_id, stream_id, version, type, schema_version,"
        " data, metadata, occurred_at, recorded_at, prev_hash, hash FROM events"
        " ORDER BY global_position"
    )
    await pool.execute("VACUUM ANALYZE events")
    await pool.execute("VACUUM ANALYZE bare_events")
    await pool.execute("VACUUM ANALYZE peer_events")


async def ours(store: PostgresEventStore) -> int:
    count = 0
    position = 0
    while batch := await store.read_all(position, PAGE):
        count += len(batch)
        position = batch[-1].global_position
    return count


async def bare(pool: asyncpg.Pool) -> int:
    count = 0
    position = 0
    while rows := await pool.fetch(_BARE_PAGE, position, PAGE):
        count += len(rows)
        position = rows[-1][3]
    return count


def peer(recorder: Any) -> int:
    count = 0
    start = 1
    while notifications := recorder.select_notifications(start, PAGE):
        for notification in notifications:
            json.loads(notification.state)
        count += len(notifications)
        start = notifications[-1].id + 1
    return count


async def run(url: str) -> dict[str, Any]:
    pool = await asyncpg.create_pool(url, min_size=2, max_size=4, init=init_connection)
    raw_pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    assert pool is not None and raw_pool is not None
    store = PostgresEventStore(pool)
    recorder = _peer_recorder(url)
    times: dict[str, list[float]] = {"ours": [], "bare": [], "peer": [], "bare_raw": []}
    try:
        started = time.perf_counter()
        await populate(store, pool, recorder)
        print(f"populated {EVENTS} events in {time.perf_counter() - started:.1f} s", flush=True)
        for round_number in range(1, ROUNDS + 1):
            for system in times:
                started = time.perf_counter()
                if system == "ours":
                    count = await ours(store)
                elif system == "bare":
                    count = await bare(pool)
                elif system == "bare_raw":
                    count = await bare(raw_pool)
                else:
                    count = await asyncio.to_thread(peer, recorder)
                times[system].append(time.perf_counter() - started)
                assert count == EVENTS, (system, count)
            print(f"round {round_number}/{ROUNDS} done", flush=True)
    finally:
        await pool.close()
        await raw_pool.close()
        recorder.datastore.close()
    rates = {system: EVENTS / best_of(ts) for system, ts in times.items()}
    return {
        "events": EVENTS,
        "page": PAGE,
        "events_per_s": {system: round(rate, 1) for system, rate in rates.items()},
        "ours_over_bare": round(rates["ours"] / rates["bare"], 3),
        "ours_over_peer": round(rates["ours"] / rates["peer"], 3),
        "ours_over_bare_raw": round(rates["ours"] / rates["bare_raw"], 3),
    }


def main() -> None:
    with postgres_server() as server_url:
        url = asyncio.run(fresh_database(server_url))
        result = asyncio.run(run(url))
    rates = result["events_per_s"]
    print(
        f"read all: ours {rates['ours']:.0f} ev/s, bare {rates['bare']:.0f} ev/s,"
        f" peer {rates['peer']:.0f} ev/s, bare without decoding {rates['bare_raw']:.0f} ev/s"
    )
    print(
        f"ours/bare {result['ours_over_bare']:.2f} (target 0.80),"
        f" ours/peer {result['ours_over_peer']:.2f}"
    )
    emit(
        {
            "benchmark": "eventstore.read",
            "rounds": ROUNDS,
            "environment": environment(),
            "results": {"read_all": result},
            "targets_ours_over_bare": {"read_all": 0.8},
        }
    )


if __name__ == "__main__":
    main()
