"""The projector: follows the event store in commit-safe order and keeps read models current.

Exactly once, by construction: each batch runs in one transaction that (1) locks the
projection's checkpoint row and checks it is where the batch started, (2) updates the read
models, (3) moves the checkpoint. A crash anywhere rolls all three back together; the next
run starts from the committed checkpoint.

Several projectors may run: only the holder of the projection's lease (projections.lease)
applies; the others wait and take over when it dies. The checkpoint check in (1) is the
fence should two ever overlap (a holder that lost its connection mid-batch cannot commit).

A projection that cannot apply an event (the domain refuses to parse or fold it) commits
what came before it, records the event in its checkpoint row, logs it, and stops there:
it retries the same event later and never skips it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import structlog
from opentelemetry import trace
from opentelemetry.trace import Link

from eventstore import EventStore, RecordedEvent
from eventstore.tracing import event_trace_context
from projections.checkpoints import (
    CheckpointMovedError,
    advance,
    lock_checkpoint,
    read_checkpoint,
    record_failure,
)
from projections.conn import Conn
from projections.lease import lease, lock_key
from projections.plans import EventFailure, PlanProjection

log = structlog.get_logger(__name__)
_tracer = trace.get_tracer(__name__)

# First wait before retrying after an error (doubles up to retry_interval).
MIN_BACKOFF = 0.5


@dataclass(frozen=True)
class CatchUp:
    """Where catch_up() stopped: the head it reached, or the event it is stuck on."""

    position: int
    applied: int
    failure: EventFailure | None


class Projector:
    def __init__(
        self,
        pool: asyncpg.Pool,
        store: EventStore,
        projection: PlanProjection | None = None,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        standby_poll_interval: float = 1.0,
        retry_interval: float = 30.0,
    ) -> None:
        self._pool = pool
        self._store = store
        self.projection = projection or PlanProjection()
        self._key = lock_key("projection", self.projection.name)
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._standby_poll_interval = standby_poll_interval
        self._retry_interval = retry_interval
        # Observable by tests and metrics: is this instance the one applying, and how much.
        self.active = False
        self.applied_events = 0
        self.batches = 0

    @property
    def name(self) -> str:
        return self.projection.name

    async def run(self) -> None:
        """Apply events as they are committed, forever; cancel the task to stop."""
        backoff = MIN_BACKOFF
        while True:
            batches = self.batches
            try:
                async with lease(
                    self._pool, self._key, poll_interval=self._standby_poll_interval
                ) as conn:
                    await self._follow(conn)
            except CheckpointMovedError as moved:
                log.info("projection checkpoint moved; resuming from it", error=str(moved))
            except Exception as error:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # The stop was asked for mid-batch and the driver turned the
                    # cancellation into its own error (asyncpg's "connection has been
                    # released"): stop as asked, rather than retry forever.
                    raise asyncio.CancelledError from error
                # Lost connection, server restart, a bug in a row: report and try again
                # from the committed checkpoint; nothing of the failed batch was kept.
                # Quickly after a blip, then backing off while it lasts.
                if self.batches > batches:
                    backoff = MIN_BACKOFF
                log.error(
                    "projector batch failed; retrying",
                    projection=self.name,
                    error=f"{type(error).__name__}: {error}",
                    retry_in_s=backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._retry_interval)

    async def catch_up(self) -> CatchUp:
        """Apply everything up to the store's head (or up to a failing event), then return."""
        applied = 0
        async with lease(self._pool, self._key, poll_interval=self._standby_poll_interval) as conn:
            while True:
                position = (await read_checkpoint(conn, self.name)).position
                try:
                    while True:
                        events = await self._store.read_all(position, self._batch_size)
                        if not events:
                            return CatchUp(position, applied, None)
                        done, failure = await self._apply(conn, position, events)
                        applied += _count_up_to(events, done)
                        position = done
                        if failure is not None:
                            return CatchUp(position, applied, failure)
                except CheckpointMovedError:
                    continue

    async def _follow(self, conn: Conn) -> None:
        self.active = True
        log.info("projector is applying", projection=self.name)
        try:
            position = (await read_checkpoint(conn, self.name)).position
            # subscribe() is an async generator: aclosing returns its listen connection.
            subscription = self._store.subscribe(
                position, batch_size=self._batch_size, poll_interval=self._poll_interval
            )
            async with contextlib.aclosing(subscription) as batches:
                async for events in batches:
                    position, failure = await self._apply(conn, position, events)
                    if failure is not None:
                        # Keep the lease while waiting, so a standby does not fail too.
                        await asyncio.sleep(self._retry_interval)
                        return
        finally:
            self.active = False

    async def _apply(
        self, conn: Conn, position: int, events: Sequence[RecordedEvent]
    ) -> tuple[int, EventFailure | None]:
        # The batch joins the trace of the command behind its first event and links the
        # others, so a request's trace runs from the API through Temporal to the read model.
        contexts = [c for c in (event_trace_context(e.metadata) for e in events) if c]
        links = [Link(trace.get_current_span(c).get_span_context()) for c in contexts[1:]]
        with _tracer.start_as_current_span(
            f"project {self.name}",
            context=contexts[0] if contexts else None,
            links=links,
            attributes={
                "acip.projection": self.name,
                "acip.events": len(events),
                "acip.first_position": events[0].global_position if events else 0,
            },
        ):
            return await self._apply_batch(conn, position, events)

    async def _apply_batch(
        self, conn: Conn, position: int, events: Sequence[RecordedEvent]
    ) -> tuple[int, EventFailure | None]:
        projection = self.projection
        async with conn.transaction():
            await lock_checkpoint(conn, projection.name, position)
            done, failure = await projection.apply(conn, projection.live_schema, events, position)
            if done != position:
                await advance(conn, projection.name, done)
            if failure is not None:
                await record_failure(conn, projection.name, failure)
        self.batches += 1
        self.applied_events += _count_up_to(events, done)
        if failure is not None:
            log.error(
                "projection stopped at an event it cannot apply",
                projection=projection.name,
                **dataclasses.asdict(failure),
            )
        return done, failure


def _count_up_to(events: Sequence[RecordedEvent], position: int) -> int:
    return sum(1 for event in events if event.global_position <= position)
