"""In-memory event store with the semantics of PostgresEventStore, for fast tests.

Payloads go through the same canonical JSON as the PostgreSQL store (and are stored
re-parsed from it), so a value that PostgreSQL would normalise (1.0 -> 1) reads back the
same here, and hashes are identical for identical input.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventstore._prepare import PreparedAppend, check_stream_id, prepare_append
from eventstore.errors import ConcurrencyError, DuplicateEventError
from eventstore.hashing import ChainVerifier, hash_with_prefix
from eventstore.models import (
    GENESIS_HASH,
    AppendResult,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    StreamHead,
    VerifyReport,
)
from eventstore.protocol import EventRow, LeafRow
from eventstore.upcasting import UpcasterRegistry


class InMemoryEventStore:
    """The EventStore protocol in a process's memory; positions are 1, 2, 3 ..."""

    def __init__(self, *, upcasters: UpcasterRegistry | None = None) -> None:
        self._upcasters = upcasters
        self._log: list[RecordedEvent] = []  # raw, in global order
        self._streams: dict[str, list[RecordedEvent]] = {}
        self._by_id: dict[UUID, RecordedEvent] = {}
        self._changed = asyncio.Condition()
        self._last_recorded_at = datetime.min.replace(tzinfo=UTC)

    async def append(
        self, stream_id: str, expected_version: ExpectedVersion, events: Sequence[NewEvent]
    ) -> AppendResult:
        prepared = prepare_append(stream_id, expected_version, events)
        # No await between the checks and the writes: the event loop serialises appends
        # the way the advisory lock does in PostgreSQL.
        stream = self._streams.get(stream_id, [])
        current = len(stream)
        if any(event.event_id in self._by_id for event in events):
            return self._existing(prepared)
        if prepared.expected >= 0 and prepared.expected != current:
            raise ConcurrencyError(stream_id, expected_version, current)
        prev = stream[-1].hash if stream else GENESIS_HASH
        now = max(datetime.now(UTC), self._last_recorded_at)
        self._last_recorded_at = now
        recorded: list[RecordedEvent] = []
        for offset, (event, prefix) in enumerate(
            zip(events, prepared.prefixes, strict=True), start=1
        ):
            version = current + offset
            digest = hash_with_prefix(prev, prefix, version)
            body = json.loads(f"{prefix}{version}}}")
            stored = RecordedEvent.model_construct(
                event_id=event.event_id,
                type=event.type,
                data=body["data"],
                metadata=body["metadata"],
                occurred_at=event.occurred_at,
                schema_version=event.schema_version,
                stream_id=stream_id,
                version=version,
                global_position=len(self._log) + offset,
                recorded_at=now,
                prev_hash=prev,
                hash=digest,
            )
            prev = digest
            recorded.append(stored)
        self._log.extend(recorded)
        self._streams.setdefault(stream_id, []).extend(recorded)
        for stored in recorded:
            self._by_id[stored.event_id] = stored
        self._notify()
        returned = [
            stored.model_copy(update={"data": event.data, "metadata": event.metadata})
            for stored, event in zip(recorded, events, strict=True)
        ]
        return AppendResult(stream_id=stream_id, version=recorded[-1].version, events=returned)

    def _notify(self) -> None:
        async def wake() -> None:
            async with self._changed:
                self._changed.notify_all()

        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().create_task(wake())

    def _existing(self, prepared: PreparedAppend) -> AppendResult:
        stored_events: list[RecordedEvent] = []
        for event, prefix in zip(prepared.events, prepared.prefixes, strict=True):
            stored = self._by_id.get(event.event_id)
            if stored is None:
                raise DuplicateEventError(
                    event.event_id, "part of this batch is stored already and part is not"
                )
            if stored.stream_id != prepared.stream_id:
                raise DuplicateEventError(
                    event.event_id, f"it is stored in stream {stored.stream_id!r}"
                )
            if hash_with_prefix(stored.prev_hash, prefix, stored.version) != stored.hash:
                raise DuplicateEventError(
                    event.event_id, "type, data, metadata, occurred_at or schema differ"
                )
            stored_events.append(
                stored.model_copy(update={"data": event.data, "metadata": event.metadata})
            )
        stored_events.sort(key=lambda stored: stored.version)
        return AppendResult(
            stream_id=prepared.stream_id,
            version=stored_events[-1].version,
            events=stored_events,
        )

    def _upcast(self, event: RecordedEvent) -> RecordedEvent:
        upcasters = self._upcasters
        if upcasters is None or not upcasters.handles(event.type):
            return event
        schema_version, data = upcasters.upcast(
            event.type, event.schema_version, _deep_copy(event.data)
        )
        return event.model_copy(update={"schema_version": schema_version, "data": data})

    async def read_stream(
        self,
        stream_id: str,
        *,
        from_version: int = 1,
        to_version: int | None = None,
        recorded_up_to: datetime | None = None,
    ) -> list[RecordedEvent]:
        check_stream_id(stream_id)
        return [
            self._upcast(event)
            for event in self._streams.get(stream_id, [])
            if event.version >= from_version
            and (to_version is None or event.version <= to_version)
            and (recorded_up_to is None or event.recorded_at <= recorded_up_to)
        ]

    async def stream_version(self, stream_id: str) -> int:
        return len(self._streams.get(stream_id, []))

    async def stream_heads(
        self, stream_ids: Sequence[str], recorded_up_to: datetime
    ) -> list[StreamHead]:
        heads = []
        for stream_id in sorted(set(stream_ids)):
            recorded = [
                e for e in self._streams.get(stream_id, []) if e.recorded_at <= recorded_up_to
            ]
            if recorded:
                last = recorded[-1]
                heads.append(
                    StreamHead(
                        stream_id=stream_id,
                        version=last.version,
                        hash=last.hash,
                        global_position=last.global_position,
                    )
                )
        return heads

    async def read_all(
        self, after_position: int = 0, limit: int = 1000, *, max_wait: float = 0.0
    ) -> list[RecordedEvent]:
        # max_wait: accepted for parity; nothing here is ever held back.
        start = max(after_position, 0)
        return [self._upcast(event) for event in self._log[start : start + limit]]

    async def head_position(self, *, max_wait: float = 0.0) -> int:
        return len(self._log)

    async def count_events(self, after_position: int, up_to_position: int | None = None) -> int:
        end = len(self._log) if up_to_position is None else min(up_to_position, len(self._log))
        return max(end - max(after_position, 0), 0)

    def _page(self, after_position: int, up_to_position: int, limit: int) -> list[RecordedEvent]:
        """read_rows' and read_leaves' range (positions here are 1, 2, 3 ...)."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        start = max(after_position, 0)
        return self._log[start : min(up_to_position, start + limit)]

    async def read_rows(
        self, after_position: int, up_to_position: int, limit: int
    ) -> Sequence[EventRow]:
        return [
            (
                event.global_position,
                event.stream_id,
                event.version,
                event.type,
                event.schema_version,
                json.dumps(event.data),
                event.occurred_at,
                event.recorded_at,
                event.event_id,
            )
            for event in self._page(after_position, up_to_position, limit)
        ]

    async def read_leaves(
        self, after_position: int, up_to_position: int, limit: int
    ) -> Sequence[LeafRow]:
        page = self._page(after_position, up_to_position, limit)
        return [(e.stream_id, e.version, e.global_position, e.hash) for e in page]

    async def count_by_data(self, stream_prefix: str, data_key: str) -> dict[tuple[str, Any], int]:
        counts: dict[tuple[str, Any], int] = {}
        for event in self._log:
            if event.stream_id.startswith(stream_prefix):
                value = event.data.get(data_key)
                text = value if value is None or isinstance(value, str) else json.dumps(value)
                counts[event.stream_id, text] = counts.get((event.stream_id, text), 0) + 1
        return counts

    async def subscribe(
        self,
        after_position: int = 0,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
    ) -> AsyncGenerator[list[RecordedEvent], None]:
        position = after_position
        while True:
            batch = await self.read_all(position, batch_size)
            if batch:
                position = batch[-1].global_position
                yield batch
                continue
            seen = position

            def grown(seen: int = seen) -> bool:
                return len(self._log) > seen

            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(grown), poll_interval)

    async def wait_for_notifications(self) -> None:
        # Subscribers are woken by tasks the appends scheduled: let them run.
        await asyncio.sleep(0)

    async def read_stream_raw(self, stream_id: str) -> list[dict[str, Any]]:
        return [event.model_dump() for event in self._streams.get(stream_id, [])]

    async def verify(self, stream_id: str | None = None) -> VerifyReport:
        verifier = ChainVerifier()
        stream_ids = sorted(self._streams) if stream_id is None else [stream_id]
        for name in stream_ids:
            for event in self._streams.get(name, []):
                verifier.feed(event)
        return verifier.report()

    # Test hook: lets the contract suite tamper with the in-memory log like an attacker
    # with table access would, to check that verify() notices.
    def _replace_raw(self, stream_id: str, version: int, **changes: Any) -> None:
        stream = self._streams[stream_id]
        old = stream[version - 1]
        new = old.model_copy(update=changes)
        stream[version - 1] = new
        self._log[old.global_position - 1] = new
        self._by_id[new.event_id] = new


def _deep_copy(value: Any) -> Any:
    # Upcasters may mutate what they get; the stored payload must stay as stored.
    return json.loads(json.dumps(value))
