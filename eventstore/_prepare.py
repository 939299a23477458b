"""Input checks and canonical encoding shared by every store implementation.

Everything here runs before the database is touched: a refused append writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from eventstore.errors import InvalidEventError
from eventstore.hashing import canonical_datetime, canonical_json, hash_with_prefix
from eventstore.models import ANY, NO_STREAM, ExpectedVersion, NewEvent

# Both patterns admit only characters that JSON strings carry unescaped, which lets the
# envelope be assembled by concatenation (tests check it equals the generic encoding).
STREAM_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*-[A-Za-z0-9][A-Za-z0-9_.:-]{0,120}$")
EVENT_TYPE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,127}$")
# Canonical JSON of one envelope (data + metadata + ~250 bytes of envelope), in UTF-8.
MAX_EVENT_BYTES = 256 * 1024
MAX_BATCH_EVENTS = 1000
# A JSON "\u0000" escape (preceded by an even number of backslashes): jsonb refuses NUL.
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


@dataclass(frozen=True, slots=True)
class PreparedAppend:
    stream_id: str
    expected: int  # -1 any, 0 no stream, n exact
    events: Sequence[NewEvent]
    data: list[str]  # canonical JSON of each event's data
    metadata: list[str]  # canonical JSON of each event's metadata
    prefixes: list[str]  # canonical envelope up to '"version":'

    def chain(self, first_version: int, prev_hash: str) -> tuple[list[str], list[str]]:
        """(prev_hashes, hashes) when the batch starts at ``first_version``."""
        prevs: list[str] = []
        hashes: list[str] = []
        for version, prefix in enumerate(self.prefixes, start=first_version):
            prevs.append(prev_hash)
            prev_hash = hash_with_prefix(prev_hash, prefix, version)
            hashes.append(prev_hash)
        return prevs, hashes


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


def _payload(event: NewEvent, name: str, value: object) -> str:
    if not isinstance(value, dict):
        raise InvalidEventError(f"event {event.event_id}: {name} must be a JSON object")
    try:
        text = canonical_json(value)
    except (ValueError, TypeError) as error:
        raise InvalidEventError(
            f"event {event.event_id}: {name} is not exact JSON: {error}"
        ) from error
    if "\\u0000" in text and _NUL_ESCAPE.search(text):
        raise InvalidEventError(f"event {event.event_id}: {name} contains a NUL character")
    return text


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
    data_texts: list[str] = []
    metadata_texts: list[str] = []
    prefixes: list[str] = []
    seen: set[UUID] = set()
    stream_part = f',"stream_id":"{stream_id}","type":"'
    for event in events:
        if not isinstance(event, NewEvent):
            raise InvalidEventError(f"expected NewEvent, got {type(event).__name__}")
        event_id = event.event_id
        if event_id in seen:
            raise InvalidEventError(f"event id {event_id} appears twice in the batch")
        seen.add(event_id)
        if not isinstance(event.type, str) or EVENT_TYPE_PATTERN.match(event.type) is None:
            raise InvalidEventError(f"event {event_id}: type {event.type!r} is not valid")
        schema_version = event.schema_version
        if type(schema_version) is not int or schema_version < 1:
            raise InvalidEventError(f"event {event_id}: schema_version must be an int >= 1")
        try:
            occurred_at = canonical_datetime(event.occurred_at)
        except (ValueError, TypeError, AttributeError) as error:
            raise InvalidEventError(
                f"event {event_id}: occurred_at must be a timezone-aware datetime"
            ) from error
        data = _payload(event, "data", event.data)
        metadata = _payload(event, "metadata", event.metadata)
        # RFC 8785 of the envelope, by concatenation: keys in sorted order, every
        # string here needs no escaping (uuid, timestamp, patterns above).
        prefix = (
            f'{{"data":{data},"event_id":"{event_id}","metadata":{metadata},'
            f'"occurred_at":"{occurred_at}","schema_version":{schema_version}'
            f'{stream_part}{event.type}","version":'
        )
        size = len(prefix)
        if size * 4 > MAX_EVENT_BYTES and (size := len(prefix.encode())) > MAX_EVENT_BYTES:
            raise InvalidEventError(
                f"event {event_id}: {size} bytes of canonical JSON; the limit is {MAX_EVENT_BYTES}"
            )
        data_texts.append(data)
        metadata_texts.append(metadata)
        prefixes.append(prefix)
    return PreparedAppend(
        stream_id=stream_id,
        expected=expected,
        events=events,
        data=data_texts,
        metadata=metadata_texts,
        prefixes=prefixes,
    )
