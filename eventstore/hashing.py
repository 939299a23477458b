"""The hash chain, as pure functions: usable offline on an export, without a database.

Definition (docs/eventstore.md repeats it for auditors)::

    body = RFC 8785 canonical JSON of {
        "data": <object>, "event_id": "<uuid, lowercase, hyphenated>",
        "metadata": <object>, "occurred_at": "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC, 6 digits),
        "schema_version": <int>, "stream_id": "<text>", "type": "<text>", "version": <int>}
    hash = lowercase hex SHA-256 of UTF-8(prev_hash) + UTF-8(body)
    prev_hash = hash of the previous version in the stream, or 64 "0" for version 1

Because RFC 8785 sorts keys and "version" sorts last, ``body`` is a version-free prefix
followed by ``<version>}``. The store computes the prefix in Python and lets PostgreSQL
add the version it assigns under its lock, so an append is one round trip.

This module imports no database driver on purpose.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
import rfc8785

from eventstore.models import GENESIS_HASH, BreakReason, ChainBreak, VerifyReport

__all__ = [
    "GENESIS_HASH",
    "ChainVerifier",
    "canonical_datetime",
    "canonical_json",
    "compute_hash",
    "envelope_prefix",
    "hash_with_prefix",
    "stored_event_hash",
    "verify_events",
]


def canonical_datetime(value: datetime | str) -> str:
    """UTC, microseconds always present, ``Z`` suffix: ``2025-01-31T08:00:00.000000Z``."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.utcoffset() is None:
        raise ValueError("occurred_at must carry a timezone")
    # isoformat pads the year to 4 digits, unlike strftime("%Y") for years < 1000.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical_uuid(value: UUID | str) -> str:
    return str(value if isinstance(value, UUID) else UUID(str(value)))


class _NotCanonicalError(Exception):
    pass


def _plain_float(token: str) -> float:
    # Python's repr and ECMAScript's Number::toString give the same shortest digits; they
    # differ only in notation: integral values ("1.0" vs "1") and exponents (Python from
    # 1e16 and below 1e-4, ECMAScript from 1e21 and below 1e-6).
    if "e" in token or "E" in token or token.endswith(".0"):
        raise _NotCanonicalError(token)
    return float(token)


def _small_int(token: str) -> int:
    # From 16 digits on an integer may lie outside JCS's exact range (|n| <= 2**53 - 1):
    # let the reference implementation decide.
    if len(token) > 15 and len(token.lstrip("-")) > 15:
        raise _NotCanonicalError(token)
    return int(token)


_fast_dumps = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode
_fast_check = json.JSONDecoder(parse_float=_plain_float, parse_int=_small_int).decode
# Surrogates and characters from U+E000 on may sort differently by UTF-16 code unit (JCS)
# than by code point (Python's sort_keys).
_UTF16_ORDER_RISK = re.compile(r"[\ud800-\udfff\ue000-\U0010ffff]")


def canonical_json(value: Any) -> str:
    """RFC 8785 (JCS) text of a JSON value.

    Raises ValueError (rfc8785.CanonicalizationError) for values JSON cannot carry
    exactly: NaN/inf, integers beyond 2**53 - 1, non-string keys, lone surrogates, and
    any non-JSON type.

    Fast path: the C JSON encoder with sorted keys and no whitespace produces JCS text
    exactly when the value has no float that needs another notation, no integer of 16+
    digits, no character that sorts differently in UTF-16, and survives a round trip
    unchanged (which rules out non-string keys and tuples). Anything else takes the
    rfc8785 reference implementation; tests/unit/test_eventstore_hashing.py checks both
    agree.
    """
    try:
        text = _fast_dumps(value)
    except (TypeError, ValueError):
        return _reference(value)
    if text.isascii() or _UTF16_ORDER_RISK.search(text) is None:
        try:
            if _fast_check(text) == value:
                return text
        except _NotCanonicalError:
            pass
    return _reference(value)


def _reference(value: Any) -> str:
    text = rfc8785.dumps(value).decode("utf-8")
    if _has_big_float(value):
        # JCS writes 1e16 as 10000000000000000; PostgreSQL would hand that back as an
        # integer outside JSON's exact range, and the stored event could not be re-hashed.
        raise ValueError("a float of magnitude >= 2**53 cannot be stored exactly")
    return text


_SAFE_FLOAT_LIMIT = float(2**53)


def _has_big_float(value: Any) -> bool:
    if isinstance(value, float):
        return abs(value) >= _SAFE_FLOAT_LIMIT
    if isinstance(value, dict):
        return any(_has_big_float(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_has_big_float(item) for item in value)
    return False


def _checked_float(token: str) -> float:
    # The encoder writes a float as its repr: refuse, as _plain_float does on the encoded
    # text, every float whose repr is not already ECMAScript's notation (or not finite).
    number = float(token)
    text = repr(number)
    if "e" in text or text.endswith(".0") or not math.isfinite(number):
        raise _NotCanonicalError(token)
    return number


_stored_loads = json.JSONDecoder(parse_float=_checked_float, parse_int=_small_int).decode


def canonical_stored_json(text: str) -> str:
    """RFC 8785 text of the JSON value written as ``text`` (e.g. PostgreSQL's ``jsonb::text``).

    The same result as ``canonical_json(json.loads(text))``, faster. A value parsed from
    JSON text has only string keys, lists and exact round trips, so the fast path's
    round-trip check reduces to checks on its numbers, which the parse makes itself (every
    float's repr, every integer's length). orjson then writes the sorted, compact text
    (about 8 times faster than the json module here), with the UTF-16 order check on the
    output as in ``canonical_json``; tests/unit/test_eventstore_fastpaths.py holds it to
    rfc8785. Anything else takes ``canonical_json`` on the parsed value.
    """
    try:
        value = _stored_loads(text)
        canonical = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except (_NotCanonicalError, orjson.JSONEncodeError):
        return canonical_json(json.loads(text))
    if canonical.isascii() or _UTF16_ORDER_RISK.search(canonical) is None:
        return canonical
    return _reference(value)


# Text that RFC 8785 writes between quotes unchanged (no escape, no ordering question).
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_.:-]*")


def stored_event_hash(
    prev_hash: str,
    *,
    event_id: str,
    stream_id: str,
    type: str,
    schema_version: int,
    data_json: str,
    metadata_json: str,
    occurred_at: datetime | str,
    version: int,
) -> str:
    """``compute_hash`` of a stored row read with data and metadata as JSON text and the
    event id as PostgreSQL's ``uuid::text`` (lowercase, hyphenated: already canonical).

    The envelope's members are known and sorted, so its canonical text is theirs joined;
    a stream id or type that would need escaping takes the general path.
    """
    if _PLAIN_TEXT.fullmatch(stream_id) is None or _PLAIN_TEXT.fullmatch(type) is None:
        return compute_hash(
            prev_hash,
            {
                "event_id": event_id,
                "stream_id": stream_id,
                "type": type,
                "schema_version": schema_version,
                "data": json.loads(data_json),
                "metadata": json.loads(metadata_json),
                "occurred_at": occurred_at,
                "version": version,
            },
        )
    body = "".join(
        (
            '{"data":',
            canonical_stored_json(data_json),
            ',"event_id":"',
            event_id,
            '","metadata":',
            canonical_stored_json(metadata_json),
            ',"occurred_at":"',
            canonical_datetime(occurred_at),
            '","schema_version":',
            str(schema_version),
            ',"stream_id":"',
            stream_id,
            '","type":"',
            type,
            '","version":',
            str(version),
            "}",
        )
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def envelope_prefix(
    *,
    event_id: UUID | str,
    stream_id: str,
    type: str,
    schema_version: int,
    data: Mapping[str, Any],
    metadata: Mapping[str, Any],
    occurred_at: datetime | str,
) -> str:
    """Canonical envelope up to and including ``"version":`` (the version digits and the
    closing brace are appended by whoever knows the version)."""
    body = canonical_json(
        {
            "data": data,
            "event_id": canonical_uuid(event_id),
            "metadata": metadata,
            "occurred_at": canonical_datetime(occurred_at),
            "schema_version": schema_version,
            "stream_id": stream_id,
            "type": type,
        }
    )
    return body[:-1] + ',"version":'


def hash_with_prefix(prev_hash: str, prefix: str, version: int) -> str:
    return hashlib.sha256(f"{prev_hash}{prefix}{version}}}".encode()).hexdigest()


def _field(event: Any, name: str) -> Any:
    if isinstance(event, Mapping):
        return event[name]
    return getattr(event, name)


def compute_hash(prev_hash: str, event_fields: Mapping[str, Any] | Any) -> str:
    """Hash of one event given its predecessor's hash.

    ``event_fields`` is a mapping (or an object with attributes) holding event_id,
    stream_id, version, type, schema_version, data, metadata, occurred_at; other keys
    (global_position, recorded_at, hash, ...) are ignored.
    """
    prefix = envelope_prefix(
        event_id=_field(event_fields, "event_id"),
        stream_id=_field(event_fields, "stream_id"),
        type=_field(event_fields, "type"),
        schema_version=int(_field(event_fields, "schema_version")),
        data=_field(event_fields, "data"),
        metadata=_field(event_fields, "metadata"),
        occurred_at=_field(event_fields, "occurred_at"),
    )
    return hash_with_prefix(prev_hash, prefix, int(_field(event_fields, "version")))


class ChainVerifier:
    """Checks events fed in (stream_id, version) order; one instance per verification.

    After a break it re-synchronises on the stored row (its version and stored hash), so
    every independent break in a stream is reported, not only the first.
    """

    def __init__(self) -> None:
        self.breaks: list[ChainBreak] = []
        self.streams_checked = 0
        self.events_checked = 0
        self._stream: str | None = None
        self._expected_version = 1
        self._expected_prev = GENESIS_HASH

    def feed(self, event: Mapping[str, Any] | Any) -> None:
        stream_id = str(_field(event, "stream_id"))
        version = int(_field(event, "version"))
        stored_prev = str(_field(event, "prev_hash"))
        stored_hash = str(_field(event, "hash"))
        if stream_id != self._stream:
            self._stream = stream_id
            self.streams_checked += 1
            self._expected_version = 1
            self._expected_prev = GENESIS_HASH
        self.events_checked += 1
        position = _optional_field(event, "global_position")
        event_id = _field(event, "event_id")

        def record(reason: BreakReason, detail: str) -> None:
            self.breaks.append(
                ChainBreak(
                    stream_id=stream_id,
                    version=version,
                    global_position=None if position is None else int(position),
                    event_id=event_id,
                    reason=reason,
                    detail=detail,
                )
            )

        if version != self._expected_version:
            record(
                "version_gap",
                f"expected version {self._expected_version}, found {version}",
            )
        elif stored_prev != self._expected_prev:
            record(
                "broken_link",
                f"prev_hash {stored_prev} does not equal the hash of version "
                f"{version - 1} ({self._expected_prev})",
            )
        else:
            try:
                recomputed = compute_hash(stored_prev, event)
            except (ValueError, TypeError, KeyError) as error:
                record("hash_mismatch", f"cannot canonicalise the stored event: {error}")
            else:
                if recomputed != stored_hash:
                    record(
                        "hash_mismatch",
                        f"stored hash {stored_hash}, recomputed {recomputed}",
                    )
        self._expected_version = version + 1
        self._expected_prev = stored_hash

    def report(self) -> VerifyReport:
        return VerifyReport(
            ok=not self.breaks,
            streams_checked=self.streams_checked,
            events_checked=self.events_checked,
            breaks=list(self.breaks),
        )


def _optional_field(event: Any, name: str) -> Any:
    if isinstance(event, Mapping):
        return event.get(name)
    return getattr(event, name, None)


def _in_chain_order(events: Iterable[Any]) -> Iterator[Any]:
    by_stream: dict[str, list[Any]] = defaultdict(list)
    for event in events:
        by_stream[str(_field(event, "stream_id"))].append(event)
    for stream_id in sorted(by_stream):
        yield from sorted(by_stream[stream_id], key=lambda e: int(_field(e, "version")))


def verify_events(events: Iterable[Mapping[str, Any] | Any]) -> VerifyReport:
    """Verify an export (any order: grouped by stream, sorted by version here).

    Each event is a mapping or object with event_id, stream_id, version, type,
    schema_version, data, metadata, occurred_at (datetime or ISO 8601 text), prev_hash,
    hash and optionally global_position. Payloads must be the raw stored ones, not upcast.
    A missing *last* event of a stream cannot be seen from the chain alone: compare the
    stream heads with an externally kept record (docs/eventstore.md).
    """
    verifier = ChainVerifier()
    for event in _in_chain_order(events):
        verifier.feed(event)
    return verifier.report()
