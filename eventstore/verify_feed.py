"""Feeding the whole store to a ``LogVerifier``, the hashes recomputed in worker processes.

Recomputing an event's hash needs only its own row (its stored ``prev_hash`` included), so
for a large store (``parallel_after`` events or more, and a database address to give the
workers) it is split by global position into ranges that worker processes read and check
themselves (``stored_hash.content_failures``), each in a transaction on the snapshot this
process exported: every process sees the same rows. Meanwhile this process reads, in
global order, only what needs the order (stream, version, position and the two hashes):
each chain's links, every leaf of the tree, the witnessed subtrees
(``LogVerifier.feed_checked``). A changed event the workers report is then named exactly
as in one process (``LogVerifier.add_content_failures``). Handing rows to workers through
a pipe instead cost this process more than hashing them (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

import asyncpg

from eventstore.log_verify import LogVerifier
from eventstore.stored_hash import STORED_INSTANT, content_failures

# Below this, starting the workers (1-3 s on a busy machine) weighs too much.
PARALLEL_AFTER = 500_000
_ROWS_PER_RANGE = 20_000

_COLUMNS = (
    "event_id::text, stream_id, version, global_position, type, schema_version,"
    f" data::text, metadata::text, {STORED_INSTANT}, prev_hash, hash"
)
# What LogVerifier.feed_stored takes: the event id and payloads as text, so nothing is
# decoded that the canonical-JSON fast path does not need (docs/performance.md).
STORED_ROWS = f"SELECT {_COLUMNS} FROM events ORDER BY global_position"
_STORED_RANGE = (
    f"SELECT {_COLUMNS} FROM events WHERE global_position > $1 AND global_position <= $2"
)
# The same layout, only the columns the order matters for (the rest left NULL).
_ORDERED_ROWS = (
    "SELECT NULL, stream_id, version, global_position, NULL, NULL, NULL, NULL, NULL,"
    " prev_hash, hash FROM events ORDER BY global_position"
)
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")


def default_workers() -> int:
    """One per CPU but one, left to this process and the server. On 2 CPUs that is none:
    measured there, two workers beside this process were no faster than one process
    (docs/performance.md); the path is for machines with more CPUs."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    return max(cpus - 1, 1)


async def feed_store(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy,
    verifier: LogVerifier,
    *,
    batch: int,
    dsn: str | None = None,
    workers: int | None = None,
    parallel_after: int = PARALLEL_AFTER,
) -> None:
    """Feed ``verifier`` every stored event (``conn`` inside a repeatable-read
    transaction), asking the server for the next batch before checking the current one."""
    workers = default_workers() if workers is None else workers
    if dsn is None or workers < 2:
        await read_in_batches(conn, STORED_ROWS, verifier.feed_stored, batch)
        return
    extent = await conn.fetchrow(
        "SELECT count(*), min(global_position), max(global_position) FROM events"
    )
    assert extent is not None
    count, first, last = extent
    if count < max(parallel_after, 1):
        await read_in_batches(conn, STORED_ROWS, verifier.feed_stored, batch)
        return
    snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
    ranges = _split(first - 1, last, max(workers, count // _ROWS_PER_RANGE))
    loop = asyncio.get_running_loop()
    # spawn: a fork would copy this process's event loop and connections.
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_connect, initargs=(dsn,)
    ) as executor:
        checks = [
            loop.run_in_executor(executor, _check_range, snapshot, after, upto)
            for after, upto in ranges
        ]
        try:
            await read_in_batches(
                conn, _ORDERED_ROWS, lambda rows: verifier.feed_checked(rows, ()), batch
            )
            results = await asyncio.gather(*checks)
        finally:
            for check in checks:
                check.cancel()
    checked = sum(n for n, _ in results)
    if checked != verifier.frontier.size:
        raise RuntimeError(
            f"workers read {checked} events, the ordered read {verifier.frontier.size}"
        )
    verifier.add_content_failures([f for _, failures in results for f in failures])


def _split(after: int, upto: int, parts: int) -> list[tuple[int, int]]:
    """(after, upto] as ``parts`` consecutive ranges."""
    width = -(-(upto - after) // parts)
    return [(start, min(start + width, upto)) for start in range(after, upto, width)]


async def read_in_batches(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy,
    query: str,
    consume: Callable[[list[Any]], None],
    batch: int = 5000,
) -> None:
    """Feed ``consume`` the query's rows batch by batch (inside a transaction), asking the
    server for the next batch before consuming the current one: the server reads and sends
    while this process hashes."""
    cursor = await conn.cursor(query)
    pending = asyncio.ensure_future(cursor.fetch(batch))
    while rows := await pending:
        pending = asyncio.ensure_future(cursor.fetch(batch))
        await asyncio.sleep(0)  # let the fetch send its request before the CPU work
        consume(rows)


# In a worker process: its own event loop and connection, kept for every range it checks.
_worker: dict[str, Any] = {}


def _connect(dsn: str) -> None:
    loop = asyncio.new_event_loop()
    _worker["loop"] = loop
    _worker["conn"] = loop.run_until_complete(asyncpg.connect(dsn))


def _check_range(snapshot: str, after: int, upto: int) -> tuple[int, list[tuple[int, str, int]]]:
    """Rows read and (position, stream, version) of each whose hash fails, in (after, upto]."""
    if _SNAPSHOT_ID.fullmatch(snapshot) is None:
        raise ValueError(f"not a snapshot id: {snapshot!r}")
    conn: asyncpg.Connection = _worker["conn"]

    async def check() -> tuple[int, list[tuple[int, str, int]]]:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            await conn.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            rows = await conn.fetch(_STORED_RANGE, after, upto)
        failed = set(content_failures(rows))
        return len(rows), [(row[3], row[1], row[2]) for row in rows if row[3] in failed]

    result: tuple[int, list[tuple[int, str, int]]] = _worker["loop"].run_until_complete(check())
    return result
