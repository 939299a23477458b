"""What goes into the store (NewEvent) and what comes out (RecordedEvent, AppendResult)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

ExpectedVersion = int | Literal["any", "no_stream"]
ANY: Literal["any"] = "any"
NO_STREAM: Literal["no_stream"] = "no_stream"

# Version 1 of every stream links to this value: 64 zeros, the width of a SHA-256 hex digest.
GENESIS_HASH = "0" * 64


class NewEvent(BaseModel):
    """An event to append. ``occurred_at`` is business time and must carry a timezone."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID
    type: str
    data: dict[str, Any]
    metadata: dict[str, Any] = Field(default_factory=dict)
    occurred_at: AwareDatetime
    schema_version: int = Field(default=1, ge=1)

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        # PostgreSQL returns timestamptz in UTC; normalising here keeps a recorded event
        # equal to the event that was appended, whatever offset the caller used.
        return value.astimezone(UTC)


class RecordedEvent(NewEvent):
    """An event as stored, upcast to the current schema unless read raw."""

    stream_id: str
    version: int
    global_position: int
    recorded_at: datetime
    prev_hash: str
    hash: str


class StreamHead(BaseModel):
    """A stream's last event as of an instant: what pins the stream to that moment."""

    stream_id: str
    version: int
    hash: str
    global_position: int


class AppendResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    stream_id: str
    version: int  # the stream's version after the append
    events: list[RecordedEvent]


BreakReason = Literal["hash_mismatch", "broken_link", "version_gap"]


class ChainBreak(BaseModel):
    model_config = ConfigDict(frozen=True)

    stream_id: str
    version: int
    global_position: int | None
    event_id: UUID | str
    reason: BreakReason
    detail: str


class VerifyReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool
    streams_checked: int
    events_checked: int
    breaks: list[ChainBreak]
