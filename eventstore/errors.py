"""Errors the event store raises. Every one derives from EventStoreError."""

from __future__ import annotations


class EventStoreError(Exception):
    """Base class of every event store error."""


class ConcurrencyError(EventStoreError):
    """The stream is not at the version the caller expected (someone appended first)."""

    def __init__(self, stream_id: str, expected: int | str, actual: int) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {stream_id!r}: expected version {expected}, actual version {actual}"
        )


class DuplicateEventError(EventStoreError):
    """An event id is already stored with different content (or in another stream)."""

    def __init__(self, event_id: object, detail: str) -> None:
        self.event_id = event_id
        super().__init__(f"event {event_id} already stored with different content: {detail}")


class InvalidEventError(EventStoreError):
    """The append was refused before anything was written: bad stream id, payload, batch."""


class StreamNotFound(EventStoreError):  # noqa: N818 (name fixed by the API brief)
    """Raised by callers that require an existing stream (the store itself returns [])."""

    def __init__(self, stream_id: str) -> None:
        self.stream_id = stream_id
        super().__init__(f"stream {stream_id!r} not found")


class MigrationError(EventStoreError):
    """A migration folder or file is malformed, or an applied migration was edited."""
