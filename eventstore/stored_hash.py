"""Does a stored event's hash still match its content? The fast check ``verify`` makes.

``content_failures`` first hashes, for each row, the body built from orjson's sorted,
compact rewrite of data and metadata (no checks on the values) and from the instant as
PostgreSQL formats it in ``STORED_INSTANT``. When that equals the stored hash the event
is intact; otherwise ``hashing.stored_event_hash`` decides, the checked path (RFC 8785
exactly, falling back to the reference implementation).

Why a match on the fast path is enough (docs/performance.md): the stored hash is the
SHA-256 of the RFC 8785 text of the event as appended, and that text is also JSON. If the
fast body equals it byte for byte, then parsing either gives the same value; orjson's
output parses back to exactly what orjson read from the row (its floats are written in
shortest round-trip form, its strings escaped), so the row holds the appended value. A
changed row cannot pass this way; the fast path can only miss (orjson writes ``1.0``,
``1e-07`` or keys in code-point order where RFC 8785 writes ``1``, ``1e-7`` or UTF-16
order), and a miss takes the checked path, which decides as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import orjson

from eventstore.hashing import stored_event_hash

# occurred_at as RFC 8785's canonical instant plus the era ("AD"): to_char is exact for
# every finite instant PostgreSQL holds, and the era keeps years BC apart (YYYY drops the
# sign). asyncpg writes datetime.max and .min as +-infinity and reads them back so: the
# instants an append of those was hashed with.
STORED_INSTANT = (
    "CASE WHEN isfinite(occurred_at) THEN"
    """ to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"AD')"""
    " WHEN occurred_at = 'infinity' THEN '9999-12-31T23:59:59.999999ZAD'"
    " WHEN occurred_at = '-infinity' THEN '0001-01-01T00:00:00.000000ZAD' END"
)
_SORTED = orjson.OPT_SORT_KEYS
_dumps = orjson.dumps
_loads = orjson.loads
_sha256 = hashlib.sha256


def canonical_instant(stored: str | None) -> str:
    """The canonical instant of a ``STORED_INSTANT`` text; a year BC (which no append can
    produce) keeps its era, so it matches nothing and the checked path refuses it."""
    if stored is None:
        return ""  # no instant at all: refused as well
    return stored[:-2] if stored.endswith("AD") else stored


def content_failures(rows: Sequence[Any]) -> list[int]:
    """The global position of each ``STORED_ROWS`` row whose stored hash is not that of its content
    after its stored ``prev_hash`` (whether that link holds is the caller's check). Needs
    nothing but the rows, so batches can be checked in other processes."""
    failed = []
    quoted = _quoted
    for row in rows:
        (
            event_id, stream_id, version, _, type_, schema_version,
            data_json, metadata_json, occurred_at, prev_hash, stored,
        ) = row  # fmt: skip
        try:
            data = _dumps(_loads(data_json), option=_SORTED).decode()
            metadata = _dumps(_loads(metadata_json), option=_SORTED).decode()
        except orjson.JSONDecodeError:
            pass  # e.g. a lone surrogate: the checked path decides
        else:
            body = (
                f'{prev_hash}{{"data":{data},"event_id":"{event_id}","metadata":{metadata},'
                f'"occurred_at":"{canonical_instant(occurred_at)}",'
                f'"schema_version":{schema_version},'
                f'"stream_id":{quoted(stream_id)},"type":{quoted(type_)},"version":{version}}}'
            )
            if _sha256(body.encode()).hexdigest() == stored:
                continue
        if not _checked(row):
            failed.append(row[3])
    return failed


@lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    # Stream ids and types repeat from row to row: each is written as JSON once.
    return _dumps(text).decode()


def _checked(row: Sequence[Any]) -> bool:
    (
        event_id, stream_id, version, _, type_, schema_version,
        data_json, metadata_json, occurred_at, prev_hash, stored,
    ) = row  # fmt: skip
    try:
        recomputed = stored_event_hash(
            prev_hash, event_id=event_id, stream_id=stream_id, type=type_,
            schema_version=schema_version, data_json=data_json,
            metadata_json=metadata_json, occurred_at=canonical_instant(occurred_at),
            version=version,
        )  # fmt: skip
    except (ValueError, TypeError):
        return False
    return recomputed == stored
