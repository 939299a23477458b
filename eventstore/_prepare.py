"""Input checks and canonical encoding shared by every store implementation.

Everything here runs before the database is touched: a refused append writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventstore.errors import InvalidEventError
from eventstore.hashing import envelope_prefix
from eventstore.models import ANY, NO_STREAM, ExpectedVersion, NewEvent

STREAM_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*-[A-Za-z0-9][A-Za-z0-9_.:-]{0,120}$")
EVENT_TYPE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,127}$")
# Canonical JSON of one envelope (data + metadata + ~250 bytes of envelope), in UTF-8.
MAX_EVENT_BYTES = 256 * 1024
MAX_BATCH_EVENTS = 1000
# A float at or beyond 2**53 canonicalises to an integer literal (1e16 -> 10000000000000000)
# that PostgreSQL then returns as an integer out of JSON's exact range: the stored event
# could not be re-hashed. Refused up front. Any such literal has 16+ digits or an "e+".
_BIG_NUMBER_HINT = re.compile(r"\d{16}|e\+")
_SAFE_FLOAT_LIMIT = float(2**53)
# A JSON "\u0000" escape (preceded by an even number of backslashes): jsonb refuses NUL.
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


@dataclass(frozen=True, slots=True)
class PreparedAppend:
    stream_id: str
    expected: int  # -1 any, 0 no stream, n exact
    events: Sequence[NewEvent]
    prefixes: list[str]


def expected_as_int(expected_version: ExpectedVersion) -> int:
    if expected_version == ANY:
        return -1
    if expected_version == NO_STREAM:
        return 0
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise InvalidEventError(f"expected_version {expected_version!r} is not valid")
    if expected_version < 0:
        raise InvalidEventError(f"expected_version {expected_version} is negative")
    return expected_version


def check_stream_id(stream_id: str) -> None:
    if not isinstance(stream_id, str) or STREAM_ID_PATTERN.match(stream_id) is None:
        raise InvalidEventError(
            f"stream id {stream_id!r} does not match {STREAM_ID_PATTERN.pattern}"
        )


def _has_big_float(value: Any) -> bool:
    if isinstance(value, float):
        return abs(value) >= _SAFE_FLOAT_LIMIT
    if isinstance(value, dict):
        return any(_has_big_float(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_has_big_float(item) for item in value)
    return False


def prepare_append(
    stream_id: str, expected_version: ExpectedVersion, events: Sequence[NewEvent]
) -> PreparedAppend:
    check_stream_id(stream_id)
    expected = expected_as_int(expected_version)
    if not events:
        raise InvalidEventError("an append needs at least one event")
    if len(events) > MAX_BATCH_EVENTS:
        raise InvalidEventError(
            f"{len(events)} events in one append; the limit is {MAX_BATCH_EVENTS}"
        )
    prefixes: list[str] = []
    seen: set[UUID] = set()
    for event in events:
        if not isinstance(event, NewEvent):
            raise InvalidEventError(f"expected NewEvent, got {type(event).__name__}")
        if event.event_id in seen:
            raise InvalidEventError(f"event id {event.event_id} appears twice in the batch")
        seen.add(event.event_id)
        if not isinstance(event.type, str) or EVENT_TYPE_PATTERN.match(event.type) is None:
            raise InvalidEventError(f"event type {event.type!r} is not valid")
        if event.occurred_at.utcoffset() is None:
            raise InvalidEventError(f"event {event.event_id}: occurred_at has no timezone")
        try:
            prefix = envelope_prefix(
                event_id=event.event_id,
                stream_id=stream_id,
                type=event.type,
                schema_version=event.schema_version,
                data=event.data,
                metadata=event.metadata,
                occurred_at=event.occurred_at,
            )
        except (ValueError, TypeError) as error:
            raise InvalidEventError(
                f"event {event.event_id}: data/metadata are not exact JSON: {error}"
            ) from error
        size = len(prefix)
        if size * 4 > MAX_EVENT_BYTES and (size := len(prefix.encode())) > MAX_EVENT_BYTES:
            raise InvalidEventError(
                f"event {event.event_id}: {size} bytes of canonical JSON; "
                f"the limit is {MAX_EVENT_BYTES}"
            )
        if "\\u0000" in prefix and _NUL_ESCAPE.search(prefix):
            raise InvalidEventError(f"event {event.event_id}: strings may not contain NUL")
        if _BIG_NUMBER_HINT.search(prefix) and (
            _has_big_float(event.data) or _has_big_float(event.metadata)
        ):
            raise InvalidEventError(
                f"event {event.event_id}: a float of magnitude >= 2**53 cannot be stored "
                "exactly; send it as a string"
            )
        prefixes.append(prefix)
    return PreparedAppend(stream_id=stream_id, expected=expected, events=events, prefixes=prefixes)
