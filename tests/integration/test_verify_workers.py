"""The whole-store verify's fast paths against real PostgreSQL (docs/performance.md):

- worker processes recomputing the hashes (eventstore/verify_feed.py) report exactly what
  one process reports, for an intact store and for one tampered in several places at once;
- the instant PostgreSQL formats for verification (``STORED_INSTANT``) is the canonical
  one of the hash recipe for every instant an append can store, and keeps years BC apart.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import asyncpg

from eventstore.hashing import canonical_datetime
from eventstore.stored_hash import STORED_INSTANT, canonical_instant
from tests.integration.witness_harness import insider, rig


async def test_workers_find_and_name_what_one_process_finds(
    fresh_database_url: str, tmp_path: Path
) -> None:
    async with rig(fresh_database_url, tmp_path) as r:
        for stream in ("plan-a", "plan-b", "plan-c", "plan-d"):
            await r.append(stream, 5)
        await r.checkpoint()
        await r.witness_all()
        one, workers = await r.verify(), await r.verify(in_workers=True)
        assert one.ok and workers.ok, (one.problems, workers.problems)
        assert (workers.events, workers.streams, workers.checkpoints_matched) == (20, 4, 1)
        async with insider(fresh_database_url) as conn:
            # Content changed, chain left alone: only recomputing the hash shows it.
            await conn.execute(
                "UPDATE events SET data = '{\"n\": 7}' WHERE stream_id = 'plan-a' AND version = 2"
            )
            await conn.execute(
                "UPDATE events SET occurred_at = occurred_at + interval '1 microsecond'"
                " WHERE stream_id = 'plan-c' AND version = 5"
            )
            await conn.execute("DELETE FROM events WHERE stream_id = 'plan-b' AND version = 3")
            # Changed and its link broken: named once, as a broken link.
            await conn.execute(
                "UPDATE events SET data = '{\"n\": 8}', prev_hash = repeat('0', 64)"
                " WHERE stream_id = 'plan-d' AND version = 4"
            )
        one, workers = await r.verify(), await r.verify(in_workers=True)
    assert not workers.ok
    assert workers.problems == one.problems
    assert workers.divergence == one.divergence
    breaks = [p.split(" (position")[0] + p.split(")")[-1] for p in workers.problems[1:]]
    assert breaks == [
        "plan-a version 2: hash mismatch, content changed",
        "plan-b version 4: version gap, expected 3",
        "plan-c version 5: hash mismatch, content changed",
        "plan-d version 4: broken link to version 3",
    ], workers.problems


def _instants(count: int) -> list[datetime]:
    draw = random.Random(13)
    first, span = datetime(1, 1, 2, tzinfo=UTC), 9997 * 365 * 86400 * 10**6
    found = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    for _ in range(count):
        zone = timezone(timedelta(minutes=draw.randrange(-14 * 60, 14 * 60)))
        moment = first + timedelta(microseconds=draw.randrange(span))
        found.append(moment.astimezone(zone))
    return found


async def test_the_instant_postgresql_formats_is_the_canonical_one(
    fresh_database_url: str,
) -> None:
    instants = _instants(2000)
    conn = await asyncpg.connect(fresh_database_url)
    try:
        rows = await conn.fetch(
            f"SELECT {STORED_INSTANT} FROM unnest($1::timestamptz[]) AS t(occurred_at)",
            instants,
        )
        bc = await conn.fetchval(
            f"SELECT {STORED_INSTANT} FROM (SELECT"
            " '0044-03-15 12:00:00+00 BC'::timestamptz AS occurred_at) AS t"
        )
    finally:
        await conn.close()
    assert [canonical_instant(row[0]) for row in rows] == [canonical_datetime(i) for i in instants]
    assert bc == "0044-03-15T12:00:00.000000ZBC"
    assert canonical_instant(bc) != "0044-03-15T12:00:00.000000Z"
