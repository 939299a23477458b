"""Idempotent appends: what an append whose event ids are already stored returns.

An append retried after it committed (an activity retry, a lost reply) must return the
first result and write nothing; the same ids with other content, in another stream, or
only part of a batch stored, are refused. Apart from store.py because it is its own
question, answered from the stored rows alone.
"""

from __future__ import annotations

import asyncpg

from eventstore import _sql as sql
from eventstore._prepare import PreparedAppend
from eventstore._records import record as _record
from eventstore.errors import DuplicateEventError
from eventstore.hashing import hash_with_prefix
from eventstore.models import AppendResult


async def earlier_result(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, prepared: PreparedAppend
) -> AppendResult | None:
    """The first result of an identical earlier append, or None if none of the ids
    is stored. Raises DuplicateEventError when some ids are stored with other content,
    in another stream, or only part of the batch is stored."""
    ids = [event.event_id for event in prepared.events]
    rows = await conn.fetch(sql.BY_IDS, ids)
    if not rows:
        return None
    by_id = {row["event_id"]: row for row in rows}
    for event, prefix in zip(prepared.events, prepared.prefixes, strict=True):
        row = by_id.get(event.event_id)
        if row is None:
            stored = next(iter(by_id))
            raise DuplicateEventError(
                stored, "part of this batch is stored already and part is not"
            )
        if row["stream_id"] != prepared.stream_id:
            raise DuplicateEventError(
                event.event_id, f"it is stored in stream {row['stream_id']!r}"
            )
        # Same content <=> same hash over the stored link and version.
        if hash_with_prefix(row["prev_hash"], prefix, row["version"]) != row["hash"]:
            raise DuplicateEventError(
                event.event_id, "type, data, metadata, occurred_at or schema differ"
            )
    recorded = sorted((_record(row, None) for row in rows), key=lambda recorded: recorded.version)
    # Give the caller its own payloads back, as the first append did.
    originals = {event.event_id: event for event in prepared.events}
    recorded = [
        event.model_copy(
            update={
                "data": originals[event.event_id].data,
                "metadata": originals[event.event_id].metadata,
            }
        )
        for event in recorded
    ]
    return AppendResult(stream_id=prepared.stream_id, version=recorded[-1].version, events=recorded)
