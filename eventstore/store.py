"""PostgreSQL event store on asyncpg."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections import OrderedDict
from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from eventstore._prepare import (
    MAX_BATCH_EVENTS,
    PreparedAppend,
    check_stream_id,
    prepare_append,
)
from eventstore.errors import ConcurrencyError, DuplicateEventError, EventStoreError
from eventstore.hashing import ChainVerifier, hash_with_prefix
from eventstore.models import (
    GENESIS_HASH,
    AppendResult,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    VerifyReport,
)
from eventstore.upcasting import UpcasterRegistry

NOTIFY_CHANNEL = "acip_events"

_COLUMNS = (
    "event_id, stream_id, version, global_position, type, schema_version, data, metadata,"
    " occurred_at, recorded_at, prev_hash, hash"
)
# Reads decode data and metadata with one json.loads of "[data, metadata]": one decoder
# call per row instead of two (bench/read.py: ~0.5 us a row, ~5 % of a read).
_READ_COLUMNS = (
    "event_id, stream_id, version, global_position, type, schema_version,"
    " '[' || data::text || ',' || metadata::text || ']' AS payload,"
    " occurred_at, recorded_at, prev_hash, hash"
)
# global_position = xid * POSITIONS_PER_TRANSACTION + index in batch (migration 0003).
POSITIONS_PER_TRANSACTION = 1024
assert MAX_BATCH_EVENTS < POSITIONS_PER_TRANSACTION, "a batch must fit its transaction's range"

# One statement, one round trip, one implicit transaction. ``link`` refuses the batch
# (no rows) unless its first prev_hash is the stored hash of the expected version (or
# the genesis value for a new stream), so a wrong client-side hash never enters a chain;
# the unique (stream_id, version) constraint is the optimistic concurrency check.
# No lock: positions come from this transaction's id (decision 0001).
_APPEND = f"""
WITH tick AS MATERIALIZED (
         SELECT clock_timestamp() AS now,
                pg_current_xact_id()::text::bigint * {POSITIONS_PER_TRANSACTION} AS base),
     link AS MATERIALIZED (
         SELECT tick.now, tick.base FROM tick
          WHERE ($3::bigint = 0 AND $4::text = '{GENESIS_HASH}')
             OR EXISTS (SELECT FROM events
                         WHERE stream_id = $2 AND version = $3 AND hash = $4)),
     ins AS (
         INSERT INTO events AS e (global_position, event_id, stream_id, version, type,
                                  schema_version, data, metadata, occurred_at, recorded_at,
                                  prev_hash, hash)
         SELECT link.base + u.n - 1, u.event_id, $2, $3 + u.n, u.type, u.schema_version,
                u.data::jsonb, u.metadata::jsonb, u.occurred_at, link.now, u.prev_hash,
                u.hash
           FROM link,
                unnest($1::uuid[], $5::text[], $6::integer[], $7::text[], $8::text[],
                       $9::timestamptz[], $10::text[], $11::text[])
                WITH ORDINALITY AS u(event_id, type, schema_version, data, metadata,
                                     occurred_at, prev_hash, hash, n)
         RETURNING e.version, e.global_position, e.recorded_at)
SELECT version, global_position, recorded_at FROM ins ORDER BY version
"""
# The same for the common single-event append, with scalar parameters: no arrays to
# encode and unnest (measured ~20 % faster per append).
_APPEND_ONE = f"""
WITH link AS MATERIALIZED (
         SELECT clock_timestamp() AS now,
                pg_current_xact_id()::text::bigint * {POSITIONS_PER_TRANSACTION} AS base
          WHERE ($3::bigint = 0 AND $4::text = '{GENESIS_HASH}')
             OR EXISTS (SELECT FROM events
                         WHERE stream_id = $2 AND version = $3 AND hash = $4))
INSERT INTO events (global_position, event_id, stream_id, version, type, schema_version,
                    data, metadata, occurred_at, recorded_at, prev_hash, hash)
SELECT link.base, $1::uuid, $2, $3 + 1, $5::text, $6::integer, $7::text::jsonb,
       $8::text::jsonb, $9::timestamptz, link.now, $4, $10::text
  FROM link
RETURNING version, global_position, recorded_at
"""
# Everything below this position belongs to transactions that have ended: committed
# rows there are final, and no transaction still running can add one.
_SAFE_LIMIT = (
    f"(SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint * {POSITIONS_PER_TRANSACTION})"
)
_HASH_AT = "SELECT hash FROM events WHERE stream_id = $1 AND version = $2"
_HEAD_OF_STREAM = (
    "SELECT version, hash FROM events WHERE stream_id = $1 ORDER BY version DESC LIMIT 1"
)
_READ_STREAM = (
    f"SELECT {_READ_COLUMNS} FROM events"
    " WHERE stream_id = $1 AND version >= $2"
    " AND version <= coalesce($3::bigint, 9223372036854775807)"
    " AND ($4::timestamptz IS NULL OR recorded_at <= $4::timestamptz)"
    " ORDER BY version"
)
_READ_ALL = (
    f"SELECT {_READ_COLUMNS} FROM events WHERE global_position > $1"
    f" AND global_position < {_SAFE_LIMIT} ORDER BY global_position LIMIT $2"
)
_BY_IDS = f"SELECT {_READ_COLUMNS} FROM events WHERE event_id = ANY($1::uuid[])"
_STREAM_VERSION = "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1"
_HEAD = (
    "SELECT (SELECT coalesce(max(global_position), 0) FROM events"
    f" WHERE global_position < {_SAFE_LIMIT}),"
    " (SELECT coalesce(max(global_position), 0) FROM events)"
)
# Committed events past the position, readable or not yet (above the safe limit).
_ANY_AFTER = "SELECT EXISTS (SELECT FROM events WHERE global_position > $1)"
_VERIFY_ALL = f"SELECT {_COLUMNS} FROM events ORDER BY stream_id, version"
_VERIFY_STREAM = f"SELECT {_COLUMNS} FROM events WHERE stream_id = $1 ORDER BY version"

# Attempts for "any" appends racing other writers, and for a stale cached link.
_MAX_ATTEMPTS = 20
# Streams whose latest known (version, hash) is kept, so that an append with an int
# expected version needs no read first. Rows never change, so an entry is never wrong,
# only possibly not the head (then the unique constraint refuses the insert).
_LINK_CACHE_SIZE = 10_000

_json_loads = json.loads
_CHANNEL_PATTERN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# At most one notification per process per this many seconds (plus a round trip); the
# first append after a quiet spell is notified at once.
_NOTIFY_INTERVAL = 0.005
# Subscribers woken by a notification but finding nothing new look again after this many
# seconds, doubling up to the poll interval.
_FIRST_RETRY = 0.005
# How long read_all/head_position wait, by default, for an older transaction to end when
# committed events are held back behind it (autovacuum's ANALYZE holds one for a moment).
_SETTLE_WAIT = 0.25

logger = logging.getLogger(__name__)


async def init_connection(conn: asyncpg.Connection) -> None:
    """Pool ``init``: json/jsonb as Python objects (stdlib json; measured in bench/read.py)."""
    for type_name in ("jsonb", "json"):
        await conn.set_type_codec(
            type_name,
            encoder=json.dumps,
            decoder=_json_loads,
            schema="pg_catalog",
        )


def _record(row: asyncpg.Record, upcasters: UpcasterRegistry | None) -> RecordedEvent:
    (
        event_id,
        stream_id,
        version,
        global_position,
        type_,
        schema_version,
        payload,
        occurred_at,
        recorded_at,
        prev_hash,
        hash_,
    ) = row
    data, metadata = _json_loads(payload)
    if upcasters is not None and upcasters.handles(type_):
        schema_version, data = upcasters.upcast(type_, schema_version, data)
    return _recorded(
        {
            "event_id": event_id,
            "type": type_,
            "data": data,
            "metadata": metadata,
            "occurred_at": occurred_at,
            "schema_version": schema_version,
            "stream_id": stream_id,
            "version": version,
            "global_position": global_position,
            "recorded_at": recorded_at,
            "prev_hash": prev_hash,
            "hash": hash_,
        }
    )


def _recorded(fields: dict[str, Any]) -> RecordedEvent:
    """A RecordedEvent from already-valid values (our own rows, or an append we just
    validated): no validation, and none of model_construct's per-field bookkeeping
    (4x faster; reads are every projector's hot path). Equal to model_construct's result.
    """
    event = _new_object(RecordedEvent)
    _set(event, "__dict__", fields)
    _set(event, "__pydantic_fields_set__", set(_RECORDED_FIELDS))
    _set(event, "__pydantic_extra__", None)
    _set(event, "__pydantic_private__", None)
    return event


_RECORDED_FIELDS = frozenset(RecordedEvent.model_fields)
_new_object = object.__new__
_set = object.__setattr__


def _raw(row: asyncpg.Record) -> dict[str, Any]:
    raw = dict(row)
    for key in ("data", "metadata"):
        if type(raw[key]) is str:
            raw[key] = _json_loads(raw[key])
    return raw


class _Notifier:
    """NOTIFY after commit, outside the appending transaction, coalescing bursts.

    A NOTIFY inside the appending transaction would make every append's commit queue on
    PostgreSQL's global notify lock (measured: 8 writers drop from ~14k to ~6k events/s).
    Here at most one notification per process is in flight; appends that commit while it
    is in flight, or within _NOTIFY_INTERVAL after it, are covered by one more. If the
    process dies between commit and notify, subscribers find the events on their next
    poll.
    """

    def __init__(self, pool: asyncpg.Pool, channel: str) -> None:
        self._pool = pool
        if _CHANNEL_PATTERN.match(channel) is None:
            raise ValueError(f"notify channel {channel!r} is not a plain identifier")
        self._statement = f"NOTIFY {channel}"
        self._pending = False
        self._task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        self._pending = True
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            while self._pending:
                # Hold one connection through a burst: no pool round trips per notify.
                async with self._pool.acquire() as conn:
                    while self._pending:
                        self._pending = False
                        # No parameters: the simple query protocol, one message.
                        await conn.execute(self._statement)
                        # Appends committing in the next moment share the next notify.
                        await asyncio.sleep(_NOTIFY_INTERVAL)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
            # Subscribers poll as well: a lost notification only delays them.
            logger.warning("eventstore notify failed: %s", error)
        finally:
            self._task = None

    async def drain(self) -> None:
        while self._task is not None:
            await asyncio.shield(self._task)


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
        self._notifier = _Notifier(pool, notify_channel)

    # -- writing ---------------------------------------------------------------------

    async def append(
        self, stream_id: str, expected_version: ExpectedVersion, events: Sequence[NewEvent]
    ) -> AppendResult:
        prepared = prepare_append(stream_id, expected_version, events)
        expected = prepared.expected
        async with self._pool.acquire() as conn:
            for _attempt in range(_MAX_ATTEMPTS):
                if expected == -1:
                    head = await conn.fetchrow(_HEAD_OF_STREAM, stream_id)
                    base, prev = (0, GENESIS_HASH) if head is None else (head[0], head[1])
                elif expected == 0:
                    base, prev = 0, GENESIS_HASH
                else:
                    base = expected
                    cached = self._links.get(stream_id)
                    if cached is not None and cached[0] == base:
                        prev = cached[1]
                    else:
                        prev = await conn.fetchval(_HASH_AT, stream_id, base)
                        if prev is None:  # the stream has not reached the expected version
                            return await self._conflict(conn, prepared, expected_version)
                prevs, hashes = prepared.chain(base + 1, prev)
                try:
                    if len(events) == 1:
                        only = events[0]
                        rows = await conn.fetch(
                            _APPEND_ONE,
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
                            _APPEND,
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
                    existing = await self._existing(conn, prepared)
                    if existing is not None:
                        return existing
                    self._links.pop(stream_id, None)
                    if expected == -1:
                        continue
                    actual = await conn.fetchval(_STREAM_VERSION, stream_id)
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
        existing = await self._existing(conn, prepared)
        if existing is not None:
            return existing
        actual = await conn.fetchval(_STREAM_VERSION, prepared.stream_id)
        raise ConcurrencyError(prepared.stream_id, expected_version, actual)

    async def _existing(
        self, conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, prepared: PreparedAppend
    ) -> AppendResult | None:
        """The first result of an identical earlier append, or None if none of the ids
        is stored. Raises DuplicateEventError when some ids are stored with other content,
        in another stream, or only part of the batch is stored."""
        ids = [event.event_id for event in prepared.events]
        rows = await conn.fetch(_BY_IDS, ids)
        if not rows:
            return None
        by_id = {row["event_id"]: row for row in rows}
        for event, prefix in zip(prepared.events, prepared.prefixes, strict=True):
            row = by_id.get(event.event_id)
            if row is None:
                stored = next(iter(by_id))
                raise DuplicateEventError(
                    stored, "part of this batch is stored already and part is not"
                )
            if row["stream_id"] != prepared.stream_id:
                raise DuplicateEventError(
                    event.event_id, f"it is stored in stream {row['stream_id']!r}"
                )
            # Same content <=> same hash over the stored link and version.
            if hash_with_prefix(row["prev_hash"], prefix, row["version"]) != row["hash"]:
                raise DuplicateEventError(
                    event.event_id, "type, data, metadata, occurred_at or schema differ"
                )
        recorded = sorted(
            (_record(row, None) for row in rows), key=lambda recorded: recorded.version
        )
        # Give the caller its own payloads back, as the first append did.
        originals = {event.event_id: event for event in prepared.events}
        recorded = [
            event.model_copy(
                update={
                    "data": originals[event.event_id].data,
                    "metadata": originals[event.event_id].metadata,
                }
            )
            for event in recorded
        ]
        return AppendResult(
            stream_id=prepared.stream_id, version=recorded[-1].version, events=recorded
        )

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
                _READ_STREAM, stream_id, from_version, to_version, recorded_up_to
            )
        if rows:
            self._remember(stream_id, rows[-1]["version"], rows[-1]["hash"])
        return [_record(row, upcasters) for row in rows]

    async def stream_version(self, stream_id: str) -> int:
        async with self._pool.acquire() as conn:
            version = await conn.fetchval(_STREAM_VERSION, stream_id)
        return int(version)

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
                if events or not await conn.fetchval(_ANY_AFTER, after_position):
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
        rows = await conn.fetch(_READ_ALL, after_position, limit)
        return [_record(row, upcasters) for row in rows]

    async def head_position(self, *, max_wait: float = _SETTLE_WAIT) -> int:
        """The highest position ``read_all`` can return now (0 for an empty log); waits
        like ``read_all`` for committed events held back by an older transaction."""
        async with self._pool.acquire() as conn:
            delay = _FIRST_RETRY
            deadline = asyncio.get_running_loop().time() + max_wait
            while True:
                row = await conn.fetchrow(_HEAD)
                assert row is not None  # an aggregate always returns a row
                safe, committed = row[0], row[1]
                if safe == committed or asyncio.get_running_loop().time() + delay > deadline:
                    return int(safe)
                await asyncio.sleep(delay)
                delay *= 2

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
            rows = await conn.fetch(_VERIFY_STREAM, stream_id)
        return [_raw(row) for row in rows]

    async def verify(self, stream_id: str | None = None) -> VerifyReport:
        """Recompute every hash from the stored (not upcast) payloads, stream by stream."""
        verifier = ChainVerifier()
        async with self._pool.acquire() as conn:
            if stream_id is not None:
                for row in await conn.fetch(_VERIFY_STREAM, stream_id):
                    verifier.feed(_raw(row))
            else:
                # One snapshot for the whole walk; a cursor keeps memory flat.
                async with conn.transaction(isolation="repeatable_read", readonly=True):
                    async for row in conn.cursor(_VERIFY_ALL, prefetch=2000):
                        verifier.feed(_raw(row))
        return verifier.report()
