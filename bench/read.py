"""Read throughput: all events in global order, payloads decoded.

    python -m bench.read        (ACIP_BENCH_DATABASE_URL to use an existing server)

``ours``: PostgresEventStore.read_all in pages of 1000 (RecordedEvent objects, data and
metadata decoded, commit-safe filter). ``bare``: the same SELECT of the same rows from a
table with the same columns (no commit-safe filter), jsonb decoded by the same codec,
rows left as asyncpg Records. ``bare_raw`` (informational): the same without decoding
jsonb. ``peer``: eventsourcing's PostgresApplicationRecorder.select_notifications, with
json.loads of each event's state. The four readers take turns page by page (rotating
order), ROUNDS times; per page the median time is kept and the pages summed.
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
    emit,
    environment,
    fresh_database,
    new_event,
    postgres_server,
    typical,
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


async def _page_starts(fetch: Any) -> list[Any]:
    """Walk the log once; the cursor each page starts from."""
    starts: list[Any] = []
    cursor: Any = None
    while True:
        page, next_cursor = await fetch(cursor)
        if not page:
            return starts
        starts.append(cursor)
        cursor = next_cursor


async def run(url: str) -> dict[str, Any]:
    pool = await asyncpg.create_pool(url, min_size=2, max_size=4, init=init_connection)
    raw_pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    assert pool is not None and raw_pool is not None
    store = PostgresEventStore(pool)
    recorder = _peer_recorder(url)

    # Each reader: cursor -> (page, next cursor). Every one returns decoded payloads
    # except bare_raw.
    async def ours(cursor: Any) -> tuple[list[Any], Any]:
        page = await store.read_all(cursor or 0, PAGE)
        return page, page[-1].global_position if page else None

    async def bare(cursor: Any) -> tuple[list[Any], Any]:
        rows = await pool.fetch(_BARE_PAGE, cursor or 0, PAGE)
        return rows, rows[-1][3] if rows else None

    async def bare_raw(cursor: Any) -> tuple[list[Any], Any]:
        rows = await raw_pool.fetch(_BARE_PAGE, cursor or 0, PAGE)
        return rows, rows[-1][3] if rows else None

    def peer_page(cursor: Any) -> tuple[list[Any], Any]:
        notifications = recorder.select_notifications(cursor or 1, PAGE)
        for notification in notifications:
            json.loads(notification.state)
        return notifications, notifications[-1].id + 1 if notifications else None

    async def peer(cursor: Any) -> tuple[list[Any], Any]:
        return await asyncio.to_thread(peer_page, cursor)

    readers = {"ours": ours, "bare": bare, "peer": peer, "bare_raw": bare_raw}
    try:
        started = time.perf_counter()
        await populate(store, pool, recorder)
        print(f"populated {EVENTS} events in {time.perf_counter() - started:.1f} s", flush=True)
        starts = {name: await _page_starts(reader) for name, reader in readers.items()}
        pages = len(starts["ours"])
        assert all(len(s) == pages for s in starts.values()), starts
        # page index -> system -> times over rounds; systems interleaved page by page.
        times: dict[str, list[list[float]]] = {name: [[] for _ in range(pages)] for name in readers}
        names = list(readers)
        for round_number in range(1, ROUNDS + 1):
            for index in range(pages):
                shift = (round_number + index) % len(names)
                for name in names[shift:] + names[:shift]:
                    begun = time.perf_counter()
                    page, _ = await readers[name](starts[name][index])
                    times[name][index].append(time.perf_counter() - begun)
                    assert page
            print(f"round {round_number}/{ROUNDS} done", flush=True)
    finally:
        await pool.close()
        await raw_pool.close()
        recorder.datastore.close()
    # Per page the median over rounds, summed over the pages: a whole read of the log.
    rates = {
        name: EVENTS / sum(typical(page_times) for page_times in per_page)
        for name, per_page in times.items()
    }
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
