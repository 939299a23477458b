"""PostgreSQL event store on asyncpg."""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from eventstore import _sql as sql
from eventstore._idempotency import earlier_result
from eventstore._prepare import PreparedAppend, check_stream_id, prepare_append
from eventstore._records import raw as _raw
from eventstore._records import record as _record
from eventstore._records import recorded as _recorded
from eventstore.errors import ConcurrencyError, EventStoreError
from eventstore.hashing import ChainVerifier
from eventstore.models import (
    GENESIS_HASH,
    AppendResult,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    StreamHead,
    VerifyReport,
)
from eventstore.notifier import NOTIFY_CHANNEL, Notifier
from eventstore.protocol import EventRow, LeafRow
from eventstore.upcasting import UpcasterRegistry

# Attempts for "any" appends racing other writers, and for a stale cached link.
_MAX_ATTEMPTS = 20
# Streams whose latest known (version, hash) is kept, so that an append with an int
# expected version needs no read first. Rows never change, so an entry is never wrong,
# only possibly not the head (then the unique constraint refuses the insert).
_LINK_CACHE_SIZE = 10_000

# Subscribers woken by a notification but finding nothing new look again after this many
# seconds, doubling up to the poll interval.
_FIRST_RETRY = 0.005
# How long read_all/head_position wait, by default, for an older transaction to end when
# committed events are held back behind it (autovacuum's ANALYZE holds one for a moment).
_SETTLE_WAIT = 0.25


class PostgresEventStore:
    """Append-only event log in the ``events`` table (migration 0001)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        upcasters: UpcasterRegistry | None = None,
        notify_channel: str = NOTIFY_CHANNEL,
    ) -> None:
        self._pool = pool
        self._upcasters = upcasters
        self._channel = notify_channel
        self._links: OrderedDict[str, tuple[int, str]] = OrderedDict()
        self._notifier = Notifier(pool, notify_channel)

    # -- writing ---------------------------------------------------------------------

    async def append(
        self, stream_id: str, expected_version: ExpectedVersion, events: Sequence[NewEvent]
    ) -> AppendResult:
        prepared = prepare_append(stream_id, expected_version, events)
        expected = prepared.expected
        async with self._pool.acquire() as conn:
            for _attempt in range(_MAX_ATTEMPTS):
                if expected == -1:
                    head = await conn.fetchrow(sql.HEAD_OF_STREAM, stream_id)
                    base, prev = (0, GENESIS_HASH) if head is None else (head[0], head[1])
                elif expected == 0:
                    base, prev = 0, GENESIS_HASH
                else:
                    base = expected
                    cached = self._links.get(stream_id)
                    if cached is not None and cached[0] == base:
                        prev = cached[1]
                    else:
                        prev = await conn.fetchval(sql.HASH_AT, stream_id, base)
                        if prev is None:  # the stream has not reached the expected version
                            return await self._conflict(conn, prepared, expected_version)
                prevs, hashes = prepared.chain(base + 1, prev)
                try:
                    if len(events) == 1:
                        only = events[0]
                        rows = await conn.fetch(
                            sql.APPEND_ONE,
                            only.event_id,
                            stream_id,
                            base,
                            prev,
                            only.type,
                            only.schema_version,
                            prepared.data[0],
                            prepared.metadata[0],
                            only.occurred_at,
                            hashes[0],
                        )
                    else:
                        rows = await conn.fetch(
                            sql.APPEND,
                            [event.event_id for event in events],
                            stream_id,
                            base,
                            prev,
                            [event.type for event in events],
                            [event.schema_version for event in events],
                            prepared.data,
                            prepared.metadata,
                            [event.occurred_at for event in events],
                            prevs,
                            hashes,
                        )
                except asyncpg.UniqueViolationError:
                    # Someone appended first, or this is a retry of a committed append.
                    existing = await earlier_result(conn, prepared)
                    if existing is not None:
                        return existing
                    self._links.pop(stream_id, None)
                    if expected == -1:
                        continue
                    actual = await conn.fetchval(sql.STREAM_VERSION, stream_id)
                    if actual == expected:
                        continue  # the conflicting append was rolled back; try again
                    raise ConcurrencyError(stream_id, expected_version, actual) from None
                if not rows:
                    # The link check failed: the predecessor committed after this
                    # statement's snapshot was taken, or the cache was wrong. Look again.
                    self._links.pop(stream_id, None)
                    continue
                break
            else:
                raise EventStoreError(
                    f"stream {stream_id!r}: append did not settle after {_MAX_ATTEMPTS} attempts"
                )
        recorded = [
            _recorded(
                {
                    "event_id": event.event_id,
                    "type": event.type,
                    "data": event.data,
                    "metadata": event.metadata,
                    "occurred_at": event.occurred_at,
                    "schema_version": event.schema_version,
                    "stream_id": stream_id,
                    "version": row[0],
                    "global_position": row[1],
                    "recorded_at": row[2],
                    "prev_hash": prev_hash,
                    "hash": hash_,
                }
            )
            for event, row, prev_hash, hash_ in zip(events, rows, prevs, hashes, strict=True)
        ]
        last = recorded[-1]
        self._remember(stream_id, last.version, last.hash)
        self._notifier.poke()
        return AppendResult.model_construct(
            stream_id=stream_id, version=last.version, events=recorded
        )

    def _remember(self, stream_id: str, version: int, hash_: str) -> None:
        links = self._links
        known = links.pop(stream_id, None)
        if known is not None and known[0] > version:
            version, hash_ = known
        links[stream_id] = (version, hash_)
        if len(links) > _LINK_CACHE_SIZE:
            links.popitem(last=False)

    async def _conflict(
        self,
        conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy,
        prepared: PreparedAppend,
        expected_version: ExpectedVersion,
    ) -> AppendResult:
        existing = await earlier_result(conn, prepared)
        if existing is not None:
            return existing
        actual = await conn.fetchval(sql.STREAM_VERSION, prepared.stream_id)
        raise ConcurrencyError(prepared.stream_id, expected_version, actual)

    # -- reading ---------------------------------------------------------------------

    async def read_stream(
        self,
        stream_id: str,
        *,
        from_version: int = 1,
        to_version: int | None = None,
        recorded_up_to: datetime | None = None,
    ) -> list[RecordedEvent]:
        check_stream_id(stream_id)
        upcasters = self._upcasters
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                sql.READ_STREAM, stream_id, from_version, to_version, recorded_up_to
            )
        if rows:
            self._remember(stream_id, rows[-1]["version"], rows[-1]["hash"])
        return [_record(row, upcasters) for row in rows]

    async def stream_version(self, stream_id: str) -> int:
        async with self._pool.acquire() as conn:
            version = await conn.fetchval(sql.STREAM_VERSION, stream_id)
        return int(version)

    async def stream_heads(
        self, stream_ids: Sequence[str], recorded_up_to: datetime
    ) -> list[StreamHead]:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(sql.STREAM_HEADS, sorted(set(stream_ids)), recorded_up_to)
        return [StreamHead(**dict(row)) for row in rows]

    async def read_all(
        self, after_position: int = 0, limit: int = 1000, *, max_wait: float = _SETTLE_WAIT
    ) -> list[RecordedEvent]:
        """Events after ``after_position`` in global order, at most ``limit``.

        Commit-safe: only events of transactions that have ended are returned, so no event
        can later appear below a position returned here
        (docs/decisions/0001-commit-safe-order.md). When nothing is readable yet but
        committed events wait behind an older transaction that is still running (usually
        for milliseconds), waits up to ``max_wait`` seconds for it, so that a caller
        reading right after its own append sees it; 0 returns at once.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        async with self._pool.acquire() as conn:
            delay = _FIRST_RETRY
            deadline = asyncio.get_running_loop().time() + max_wait
            while True:
                events = await self._read_all_on(conn, after_position, limit)
                if events or not await conn.fetchval(sql.ANY_AFTER, after_position):
                    return events
                if asyncio.get_running_loop().time() + delay > deadline:
                    return events
                await asyncio.sleep(delay)
                delay *= 2

    async def _read_all_on(
        self,
        conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy,
        after_position: int,
        limit: int,
    ) -> list[RecordedEvent]:
        upcasters = self._upcasters
        rows = await conn.fetch(sql.READ_ALL, after_position, limit)
        return [_record(row, upcasters) for row in rows]

    async def head_position(self, *, max_wait: float = _SETTLE_WAIT) -> int:
        """The highest position ``read_all`` can return now (0 for an empty log); waits
        like ``read_all`` for committed events held back by an older transaction."""
        async with self._pool.acquire() as conn:
            delay = _FIRST_RETRY
            deadline = asyncio.get_running_loop().time() + max_wait
            while True:
                row = await conn.fetchrow(sql.HEAD)
                assert row is not None  # an aggregate always returns a row
                safe, committed = row[0], row[1]
                if safe == committed or asyncio.get_running_loop().time() + delay > deadline:
                    return int(safe)
                await asyncio.sleep(delay)
                delay *= 2

    async def count_events(self, after_position: int, up_to_position: int | None = None) -> int:
        async with self._pool.acquire() as conn:
            count = await conn.fetchval(sql.COUNT_RANGE, after_position, up_to_position)
        return int(count)

    async def read_rows(
        self, after_position: int, up_to_position: int, limit: int
    ) -> Sequence[EventRow]:
        # The driver's records are EventRows as they come: no object per event.
        rows: Sequence[EventRow] = await self._page(
            sql.READ_ROWS, after_position, up_to_position, limit
        )
        return rows

    async def read_leaves(
        self, after_position: int, up_to_position: int, limit: int
    ) -> Sequence[LeafRow]:
        rows = await self._page(sql.READ_LEAVES, after_position, up_to_position, limit)
        return [(row[0], row[1], row[2], row[3]) for row in rows]

    async def _page(
        self, query: str, after_position: int, up_to_position: int, limit: int
    ) -> list[asyncpg.Record]:
        """read_rows' and read_leaves' range query."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        async with self._pool.acquire() as conn:
            rows: list[asyncpg.Record] = await conn.fetch(
                query, after_position, up_to_position, limit
            )
        return rows

    async def count_by_data(self, stream_prefix: str, data_key: str) -> dict[tuple[str, Any], int]:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(sql.COUNT_BY_DATA, stream_prefix, data_key)
        return {(row["stream_id"], row["value"]): int(row["n"]) for row in rows}

    async def subscribe(
        self,
        after_position: int = 0,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
    ) -> AsyncGenerator[list[RecordedEvent], None]:
        """Yield batches of events after ``after_position``, forever.

        Catches up in batches, then sleeps until a NOTIFY on the channel or
        ``poll_interval`` seconds, whichever comes first; the poll means a lost
        notification delays an event, never loses it. Holds one pool connection, for
        LISTEN and its reads, while running. Cancel the consuming task, or close the
        generator (use ``contextlib.aclosing``), to stop; the listener is removed and the
        connection returned to the pool.
        """
        if batch_size < 1 or poll_interval <= 0:
            raise ValueError("batch_size must be at least 1 and poll_interval positive")
        wake = asyncio.Event()

        def on_notify(*_: object) -> None:
            wake.set()

        position = after_position
        # After a notification, an event can still sit above the commit-safe limit for a
        # moment (an older write transaction has not ended yet): look again soon rather
        # than after a whole poll interval.
        retry_after: float | None = None
        async with self._pool.acquire() as listen_conn:
            # LISTEN before the first read, so nothing committed after it goes unnoticed.
            await listen_conn.add_listener(self._channel, on_notify)
            try:
                while True:
                    wake.clear()
                    # Reads share the listening connection: one connection per subscriber.
                    batch = await self._read_all_on(listen_conn, position, batch_size)
                    if batch:
                        position = batch[-1].global_position
                        retry_after = None
                        yield batch
                        if len(batch) == batch_size:
                            continue
                    timeout = poll_interval if retry_after is None else retry_after
                    try:
                        await asyncio.wait_for(wake.wait(), timeout)
                    except TimeoutError:
                        if retry_after is not None:
                            retry_after *= 2
                            if retry_after >= poll_interval:
                                retry_after = None
                    else:
                        retry_after = _FIRST_RETRY
            finally:
                # A pooled connection the server ended is detached from its proxy, whose
                # every call then raises InterfaceError: never let that hide the real error.
                with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                    if not listen_conn.is_closed():
                        await listen_conn.remove_listener(self._channel, on_notify)

    async def wait_for_notifications(self) -> None:
        """Wait until notifications for appends so far have been sent (tests, shutdown)."""
        await self._notifier.drain()

    # -- auditing --------------------------------------------------------------------

    async def read_stream_raw(self, stream_id: str) -> list[dict[str, Any]]:
        """Rows exactly as stored (no upcasting): for exports and offline verification."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(sql.VERIFY_STREAM, stream_id)
        return [_raw(row) for row in rows]

    async def verify(self, stream_id: str | None = None) -> VerifyReport:
        """Recompute every hash from the stored (not upcast) payloads, stream by stream."""
        verifier = ChainVerifier()
        async with self._pool.acquire() as conn:
            if stream_id is not None:
                for row in await conn.fetch(sql.VERIFY_STREAM, stream_id):
                    verifier.feed(_raw(row))
            else:
                # One snapshot for the whole walk; a cursor keeps memory flat.
                async with conn.transaction(isolation="repeatable_read", readonly=True):
                    async for row in conn.cursor(sql.VERIFY_ALL, prefetch=2000):
                        verifier.feed(_raw(row))
        return verifier.report()
