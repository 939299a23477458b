"""Feeding the whole store to a ``LogVerifier``, split between worker processes.

For a large store (``parallel_after`` events or more, and a database address to give the
workers) the tree's leaves are cut into aligned chunks of ``CHUNK_LEAVES`` (a power of
two); each worker process reads the events of a chunk itself, in a transaction on the
snapshot this process exported (every process sees the same rows), and does all the work
one process would do for them (eventstore/verify_chunks.py): every hash, the links inside
the chunk, every leaf and the chunk's subtree. This process only stitches the chunks in
order (``LogVerifier.add_chunk``): each stream's first event in a chunk against the
stream's head before it, the chunk's subtree into the frontier, the witnessed subtrees
compared. So the work is not done twice: an earlier version had this process read every
event in order for the links and leaves while workers recomputed the hashes, which on two
CPUs was no faster than one process (docs/performance.md).

Where the chunks start is asked of PostgreSQL (the position of every ``CHUNK_LEAVES``-th
event); nothing rests on it: each worker counts the events it read, and a chunk that does
not hold exactly its share stops the verify.
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

import asyncpg

from eventstore.log_verify import LogVerifier
from eventstore.stored_hash import STORED_INSTANT
from eventstore.verify_chunks import ChunkCheck, ChunkPass

# Below this, starting the workers (1-3 s on a busy machine) weighs too much.
PARALLEL_AFTER = 500_000
# Leaves a worker checks at a time (a power of two); it reads their rows in batches.
CHUNK_LEAVES = 1 << 14
# Rows consumed between two turns of the event loop (measured: 64 left the reader waiting
# 0.5 us a row, whole batches of 4,096 5 us).
SLICE_ROWS = 64
# At most this many chunks per worker asked for ahead (their results wait to be stitched).
_AHEAD_PER_WORKER = 2

_COLUMNS = (
    "event_id::text, stream_id, version, global_position, type, schema_version,"
    f" data::text, metadata::text, {STORED_INSTANT}, prev_hash, hash"
)
# What LogVerifier.feed_stored takes: the event id and payloads as text, so nothing is
# decoded that the canonical-JSON fast path does not need (docs/performance.md).
STORED_ROWS = f"SELECT {_COLUMNS} FROM events ORDER BY global_position"
_STORED_RANGE = (
    f"SELECT {_COLUMNS} FROM events WHERE global_position > $1 AND global_position <= $2"
    " ORDER BY global_position"
)
# The position of the last event of each full chunk.
_CHUNK_ENDS = (
    "SELECT global_position FROM (SELECT global_position,"
    " row_number() OVER (ORDER BY global_position) AS n FROM events) AS numbered"
    " WHERE n % $1 = 0 ORDER BY global_position"
)
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")


def default_workers() -> int:
    """One per CPU but one, left to PostgreSQL's backends (about 30 % of the CPU time of a
    verify); this process only stitches. On 2 CPUs that is none: measured there, two
    workers were no faster than one process and took more memory (docs/performance.md)."""
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
    chunk_leaves: int = CHUNK_LEAVES,
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
    if chunk_leaves < 1 or chunk_leaves & (chunk_leaves - 1):
        raise ValueError(f"chunks of {chunk_leaves} leaves are not aligned subtrees")
    bounds = [first - 1, *[row[0] for row in await conn.fetch(_CHUNK_ENDS, chunk_leaves)]]
    if bounds[-1] != last:
        bounds.append(last)
    # Each event in exactly one chunk: the ranges must follow each other, one per share
    # (and each chunk's count is checked as it comes back).
    if len(bounds) - 1 != -(-count // chunk_leaves) or bounds != sorted(set(bounds)):
        raise RuntimeError(f"the chunks' boundaries do not cut {count} events in order")
    snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
    ends, names = verifier.marks()
    loop = asyncio.get_running_loop()
    # spawn: a fork would copy this process's event loop and connections.
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_connect, initargs=(dsn,)
    ) as executor:

        def submit(index: int) -> asyncio.Future[ChunkCheck]:
            start = index * chunk_leaves
            wanted = (_within(ends, start, start + chunk_leaves, True),
                      _within(names, start, start + chunk_leaves, False))  # fmt: skip
            return loop.run_in_executor(
                executor, _check_chunk, snapshot, bounds[index], bounds[index + 1], start,
                *wanted,
            )  # fmt: skip

        chunks, ahead = len(bounds) - 1, workers * _AHEAD_PER_WORKER
        pending = deque(submit(i) for i in range(min(chunks, ahead)))
        try:
            for index in range(chunks):
                chunk = await pending.popleft()
                if index + ahead < chunks:
                    pending.append(submit(index + ahead))
                expected = min(chunk_leaves, count - index * chunk_leaves)
                if chunk.count != expected:
                    raise RuntimeError(
                        f"a worker read {chunk.count} events in chunk {index}, not {expected}"
                    )
                verifier.add_chunk(chunk)
        finally:
            for future in pending:
                future.cancel()


def _within(sorted_indexes: list[int], start: int, end: int, upper: bool) -> list[int]:
    """The indexes in [start, end), or in (start, end] when ``upper``."""
    cut = bisect_right if upper else bisect_left
    return sorted_indexes[cut(sorted_indexes, start) : cut(sorted_indexes, end)]


async def read_in_batches(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy,
    query: str,
    consume: Callable[[list[Any]], None],
    batch: int = 5000,
    *args: Any,
) -> None:
    """Feed ``consume`` the query's rows in order (inside a transaction), asking the server
    for the next batch before consuming the current one, and consuming it in slices of
    ``SLICE_ROWS`` with the event loop let run between them: the server reads and sends
    while this process hashes (the socket holds only ~200 KB: without the slices the
    server stopped after about 200 rows of each batch and waited, docs/performance.md)."""
    cursor = await conn.cursor(query, *args)
    pending = asyncio.ensure_future(cursor.fetch(batch))
    while rows := await pending:
        pending = asyncio.ensure_future(cursor.fetch(batch))
        for at in range(0, len(rows), SLICE_ROWS):
            await asyncio.sleep(0)  # the socket read, and first the next fetch's request
            consume(rows[at : at + SLICE_ROWS])


# In a worker process: its own event loop and connection, kept for every range it checks.
_worker: dict[str, Any] = {}
_WORKER_BATCH = 4096


def _connect(dsn: str) -> None:
    loop = asyncio.new_event_loop()
    _worker["loop"] = loop
    _worker["conn"] = loop.run_until_complete(asyncpg.connect(dsn))


def _check_chunk(
    snapshot: str, after: int, upto: int, start: int, ends: list[int], names: list[int]
) -> ChunkCheck:
    """The chunk of the events at (after, upto] in global order, leaf ``start`` on."""
    if _SNAPSHOT_ID.fullmatch(snapshot) is None:
        raise ValueError(f"not a snapshot id: {snapshot!r}")
    conn: asyncpg.Connection = _worker["conn"]
    chunk = ChunkPass(start, ends, names)

    async def check() -> None:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            await conn.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            await read_in_batches(conn, _STORED_RANGE, chunk.feed, _WORKER_BATCH, after, upto)

    # The rows are freed by reference counting; a collection pass over them every few
    # hundred rows were ~5 % of a worker's time in py-spy (docs/performance.md).
    gc.disable()
    try:
        _worker["loop"].run_until_complete(check())
        return chunk.result()
    finally:
        gc.enable()
