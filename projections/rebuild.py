"""Rebuild a projection from position 0 into fresh tables, then swap them in at once.

Readers keep reading the live schema while the fresh one is built beside it; one
transaction then renames the fresh schema over the live one and moves the checkpoint, so a
reader sees either the old model or the new one, never a half-built one. A rebuild writes
only read models: side effects (notifications) are the activities' business and are never
repeated.

The fold keeps plan states in memory (up to ``max_states``, then it writes them out and
continues from the tables), so each plan's rows are written about once per rebuild rather
than once per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import asyncpg
import structlog

from domain import EVENT_SCHEMA_VERSIONS
from eventstore import EventRow, EventStore, RecordedEvent
from eventstore.protocol import (
    ROW_DATA_JSON,
    ROW_EVENT_ID,
    ROW_OCCURRED_AT,
    ROW_POSITION,
    ROW_RECORDED_AT,
    ROW_SCHEMA_VERSION,
    ROW_STREAM_ID,
    ROW_TYPE,
    ROW_VERSION,
)
from projections.conn import Conn
from projections.lease import lock_key, try_lock, unlock
from projections.plans import EventFailure, PlanFold, PlanProjection, ProjectionEventError

log = structlog.get_logger(__name__)

# _fold_rows indexes rows by number, in this order.
assert tuple(range(9)) == (
    ROW_POSITION,
    ROW_STREAM_ID,
    ROW_VERSION,
    ROW_TYPE,
    ROW_SCHEMA_VERSION,
    ROW_DATA_JSON,
    ROW_OCCURRED_AT,
    ROW_RECORDED_AT,
    ROW_EVENT_ID,
)

# Rows folded between two turns of the event loop in the bulk read.
_SLICE = 250

# (events folded so far, events in the store when the rebuild started)
Progress = Callable[[int, int], None]


class RebuildError(Exception):
    """The rebuild did not swap anything in; the live read models are untouched."""

    def __init__(self, message: str, failure: EventFailure | None = None) -> None:
        super().__init__(message)
        self.failure = failure


@dataclass(frozen=True)
class RebuildResult:
    projection: str
    events: int
    plans: int
    position: int
    seconds: float


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Folding allocates millions of short-lived objects while thousands of plan states
    stay alive; the cyclic collector would rescan those states again and again (measured:
    parsing events four times slower). The states hold no cycles: reference counting
    frees the garbage without it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def rebuild(
    pool: asyncpg.Pool,
    store: EventStore,
    projection: PlanProjection | None = None,
    *,
    progress: Progress | None = None,
    page_size: int = 5000,
    max_states: int = 20_000,
) -> RebuildResult:
    projection = projection or PlanProjection()
    key = lock_key("rebuild", projection.name)
    async with pool.acquire() as conn:
        if not await try_lock(conn, key):
            raise RebuildError(f"a rebuild of {projection.name} is already running")
        try:
            job = _Rebuild(conn, store, projection, page_size, max_states)
            return await job.run(progress)
        finally:
            await unlock(conn, key)


class _Rebuild:
    def __init__(
        self,
        conn: Conn,
        store: EventStore,
        projection: PlanProjection,
        page_size: int,
        max_states: int,
    ) -> None:
        self.conn = conn
        self.store = store
        self.projection = projection
        self.schema = projection.build_schema
        self.page_size = page_size
        self.max_states = max_states
        # From position 0 every plan's state is here until the first eviction.
        self.fold = PlanFold(complete=True, owns_states=True)
        self.events = 0
        self.plans: set[str] = set()

    async def run(self, progress: Progress | None) -> RebuildResult:
        started = time.perf_counter()
        conn, schema = self.conn, self.schema
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await self.projection.create_schema(conn, schema)
        try:
            head = await self.store.head_position()
            total = await self.store.count_events(0, head)
            with gc_paused():
                await self._bulk(head, total, progress)
                # Whatever was committed meanwhile, through the store.
                while events := await self.store.read_all(self.fold.position, self.page_size):
                    await self._fold(events)
                await self._swap()
                # Written out: drop the states while the collector is still off. Made while
                # it was off, they all sit in its youngest generation, and its first pass
                # once it is back on would walk every object of every state (0.35 s of a
                # profile) only to find them alive; reference counting frees them here.
                self.fold.states.clear()
        except BaseException:
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            raise
        result = RebuildResult(
            projection=self.projection.name,
            events=self.events,
            plans=len(self.plans),
            position=self.fold.position,
            seconds=time.perf_counter() - started,
        )
        log.info("projection rebuilt", **result.__dict__)
        return result

    async def _bulk(self, head: int, total: int, progress: Progress | None) -> None:
        """The bulk of a rebuild: the store's rows (only what the fold needs, no object per
        event) up to a head it reported, where every position is final (commit-safe
        order), so this read cannot miss an event that commits later."""

        def read(after: int) -> asyncio.Future[Sequence[EventRow]]:
            return asyncio.ensure_future(self.store.read_rows(after, head, self.page_size))

        # The next page is read while this one is folded: the server works meanwhile.
        reading = read(self.fold.position)
        try:
            while rows := await reading:
                reading = read(rows[-1][ROW_POSITION])
                await self._fold_rows(rows)
                if progress is not None:
                    progress(self.events, total)
        finally:
            reading.cancel()
            with contextlib.suppress(BaseException):
                await reading

    async def _fold_rows(self, rows: Sequence[EventRow]) -> None:
        fold = self.fold
        # Literal indices in this loop (the ROW_* order, checked at import): it runs per event.
        if any(row[4] != EVENT_SCHEMA_VERSIONS.get(row[3]) for row in rows):
            # An older schema (or a type the domain does not know): the store upcasts.
            await self._fold(await self.store.read_all(fold.position, len(rows)))
            return
        missing = fold.missing(row[1] for row in rows)
        if missing:
            await self.projection.load(self.conn, self.schema, fold, missing)
        apply = fold.apply_fields
        try:
            for start in range(0, len(rows), _SLICE):
                for row in rows[start : start + _SLICE]:
                    # The data as stored JSON text: the domain reads it into the event.
                    apply(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8])
                # Let the event loop take in the next page meanwhile: the server blocks once
                # the socket's buffer (a few hundred rows) is full, until it is read.
                await asyncio.sleep(0)
        except ProjectionEventError as error:
            raise RebuildError(str(error), error.failure) from error
        await self._folded(len(rows))

    async def _fold(self, events: list[RecordedEvent]) -> None:
        fold = self.fold
        missing = fold.missing(event.stream_id for event in events)
        if missing:
            await self.projection.load(self.conn, self.schema, fold, missing)
        for event in events:
            try:
                fold.apply(event)
            except ProjectionEventError as error:
                raise RebuildError(str(error), error.failure) from error
        await self._folded(len(events))

    async def _folded(self, count: int) -> None:
        fold = self.fold
        self.events += count
        self.plans.update(fold.changed)
        if len(fold.states) >= self.max_states:
            # Bound memory: write the changed plans out and reload states when needed.
            await self._write()
            fold.states.clear()
            fold.complete = False

    async def _write(self) -> None:
        async with self.conn.transaction():
            await self.projection.write(self.conn, self.schema, self.fold.take_changed())

    async def _swap(self) -> None:
        conn, projection = self.conn, self.projection
        live, old = projection.live_schema, f"{projection.live_schema}_old"
        async with conn.transaction():
            # The live projector locks this row first in every batch: holding it here
            # means no batch is in flight while the schemas change names.
            await conn.execute(
                "SELECT 1 FROM projection_checkpoints WHERE name = $1 FOR UPDATE",
                projection.name,
            )
            # The last events committed before the lock go into the fresh tables too.
            while events := await self.store.read_all(self.fold.position, self.page_size):
                await self._fold(events)
            await projection.write(conn, self.schema, self.fold.take_changed())
            await conn.execute(f"DROP SCHEMA IF EXISTS {old} CASCADE")
            await conn.execute(f"ALTER SCHEMA {live} RENAME TO {old}")
            await conn.execute(f"ALTER SCHEMA {self.schema} RENAME TO {live}")
            await conn.execute(f"DROP SCHEMA {old} CASCADE")
            await conn.execute(
                """
                UPDATE projection_checkpoints
                   SET position = $2, updated_at = clock_timestamp(),
                       rebuilt_at = clock_timestamp(),
                       failed_position = NULL, failed_event_id = NULL,
                       failed_event_type = NULL, failed_error = NULL, failed_at = NULL
                 WHERE name = $1
                """,
                projection.name,
                self.fold.position,
            )
