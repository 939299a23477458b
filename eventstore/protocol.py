"""The one interface every consumer of the event store is typed against.

Activities, the projector, rebuild, history, queries, exports, the API and the workers'
metrics all take an ``EventStore``; ``PostgresEventStore`` and ``InMemoryEventStore``
implement it, and tests/integration/test_eventstore_contract.py runs the same contract
against both. Nothing outside eventstore/ reads the ``events`` table: what a consumer needs
to know about the log (its head, how many events lie in a range, the rows a rebuild folds)
is a method here.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Any, Protocol

from eventstore.models import (
    AppendResult,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    StreamHead,
    VerifyReport,
)

# The fields of an ``EventRow``, by index: what a rebuild's fold needs, in this order.
ROW_POSITION, ROW_STREAM_ID, ROW_VERSION, ROW_TYPE, ROW_SCHEMA_VERSION = range(5)
ROW_DATA_JSON, ROW_OCCURRED_AT, ROW_RECORDED_AT, ROW_EVENT_ID = range(5, 9)


class EventRow(Protocol):
    """One stored event as a row of plain values, indexed by the ``ROW_*`` constants:
    global_position, stream_id, version, type, schema_version, data as JSON text (exactly
    as stored, not upcast), occurred_at, recorded_at, event_id.

    A row rather than a RecordedEvent because a rebuild reads millions of them: the
    PostgreSQL store hands over the driver's records as they come, with no object built
    per event (docs/performance.md).
    """

    def __getitem__(self, index: int, /) -> Any: ...


# A Merkle leaf's fields (eventstore/merkle.py): stream_id, version, global_position, hash.
LeafRow = tuple[str, int, int, str]


class EventStore(Protocol):
    """Append-only, hash-chained event log, read in commit-safe global order."""

    async def append(
        self, stream_id: str, expected_version: ExpectedVersion, events: Sequence[NewEvent]
    ) -> AppendResult:
        """Append ``events`` at the end of ``stream_id`` if its version is
        ``expected_version``. Idempotent on event ids: the same batch again returns the
        first result and writes nothing."""
        ...

    async def read_stream(
        self,
        stream_id: str,
        *,
        from_version: int = 1,
        to_version: int | None = None,
        recorded_up_to: datetime | None = None,
    ) -> list[RecordedEvent]:
        """A stream's events in version order, upcast, optionally cut at a version and at
        an instant of database time."""
        ...

    async def stream_version(self, stream_id: str) -> int:
        """The stream's current version; 0 for a stream that does not exist."""
        ...

    async def stream_heads(
        self, stream_ids: Sequence[str], recorded_up_to: datetime
    ) -> list[StreamHead]:
        """Each stream's last event recorded up to the instant, by stream id; streams with
        none by then are left out."""
        ...

    async def read_all(
        self, after_position: int = 0, limit: int = 1000, *, max_wait: float = ...
    ) -> list[RecordedEvent]:
        """Events after ``after_position`` in commit-safe global order, upcast."""
        ...

    async def head_position(self, *, max_wait: float = ...) -> int:
        """The highest position ``read_all`` can return now; 0 for an empty log."""
        ...

    async def count_events(self, after_position: int, up_to_position: int | None = None) -> int:
        """Committed events with ``after_position < global_position <= up_to_position``
        (no upper bound when None). Positions are not contiguous, so a projection's lag in
        events is this count, not a difference of positions."""
        ...

    async def read_rows(
        self, after_position: int, up_to_position: int, limit: int
    ) -> Sequence[EventRow]:
        """At most ``limit`` events with ``after_position < global_position <=
        up_to_position``, in global order, as stored (not upcast). Only for positions at or
        below a ``head_position()`` already returned: those are final, so no event can
        appear there later."""
        ...

    async def read_leaves(
        self, after_position: int, up_to_position: int, limit: int
    ) -> Sequence[LeafRow]:
        """What the Merkle log's leaves are made of, for at most ``limit`` events with
        ``after_position < global_position <= up_to_position`` in global order (inclusion
        proofs of an export). The same rule as ``read_rows``: only up to a position already
        returned by ``head_position()`` or covered by a checkpoint."""
        ...

    async def count_by_data(self, stream_prefix: str, data_key: str) -> dict[tuple[str, Any], int]:
        """Events per (stream id, ``data[data_key]``) over the streams whose id starts with
        ``stream_prefix``; the value as text (JSON text when not a string), None if absent.
        For per-stream tallies such as refused attempts by rule."""
        ...

    def subscribe(
        self, after_position: int = 0, *, batch_size: int = 500, poll_interval: float = 1.0
    ) -> AsyncGenerator[list[RecordedEvent], None]:
        """Batches of events after ``after_position``, forever; woken on append, polling as
        a fallback. Close it (``contextlib.aclosing``) or cancel its consumer to stop."""
        ...

    async def wait_for_notifications(self) -> None:
        """Return once subscribers have been told of every append so far."""
        ...

    async def read_stream_raw(self, stream_id: str) -> list[dict[str, Any]]:
        """A stream's rows exactly as stored (no upcasting): for exports and auditors."""
        ...

    async def verify(self, stream_id: str | None = None) -> VerifyReport:
        """Recompute the hash chain of one stream, or of every stream."""
        ...
