"""The PostgreSQL event store's statements: every read and write of the ``events`` table.

The table is created by migrations 0001-0003; nothing outside eventstore/ runs SQL on it
(docs/eventstore.md, "Who reads the events table").
"""

from __future__ import annotations

from eventstore._prepare import MAX_BATCH_EVENTS
from eventstore.models import GENESIS_HASH

COLUMNS = (
    "event_id, stream_id, version, global_position, type, schema_version, data, metadata,"
    " occurred_at, recorded_at, prev_hash, hash"
)
# Reads decode data and metadata with one json.loads of "[data, metadata]": one decoder
# call per row instead of two (bench/read.py: ~0.5 us a row, ~5 % of a read).
READ_COLUMNS = (
    "event_id, stream_id, version, global_position, type, schema_version,"
    " '[' || data::text || ',' || metadata::text || ']' AS payload,"
    " occurred_at, recorded_at, prev_hash, hash"
)
# global_position = xid * POSITIONS_PER_TRANSACTION + index in batch (migration 0003).
POSITIONS_PER_TRANSACTION = 1024
assert MAX_BATCH_EVENTS < POSITIONS_PER_TRANSACTION, "a batch must fit its transaction's range"

# One statement, one round trip, one implicit transaction. ``link`` refuses the batch
# (no rows) unless its first prev_hash is the stored hash of the expected version (or
# the genesis value for a new stream), so a wrong client-side hash never enters a chain;
# the unique (stream_id, version) constraint is the optimistic concurrency check.
# No lock: positions come from this transaction's id (decision 0001).
APPEND = f"""
WITH tick AS MATERIALIZED (
         SELECT clock_timestamp() AS now,
                pg_current_xact_id()::text::bigint * {POSITIONS_PER_TRANSACTION} AS base),
     link AS MATERIALIZED (
         SELECT tick.now, tick.base FROM tick
          WHERE ($3::bigint = 0 AND $4::text = '{GENESIS_HASH}')
             OR EXISTS (SELECT FROM events
                         WHERE stream_id = $2 AND version = $3 AND hash = $4)),
     ins AS (
         INSERT INTO events AS e (global_position, event_id, stream_id, version, type,
                                  schema_version, data, metadata, occurred_at, recorded_at,
                                  prev_hash, hash)
         SELECT link.base + u.n - 1, u.event_id, $2, $3 + u.n, u.type, u.schema_version,
                u.data::jsonb, u.metadata::jsonb, u.occurred_at, link.now, u.prev_hash,
                u.hash
           FROM link,
                unnest($1::uuid[], $5::text[], $6::integer[], $7::text[], $8::text[],
                       $9::timestamptz[], $10::text[], $11::text[])
                WITH ORDINALITY AS u(event_id, type, schema_version, data, metadata,
                                     occurred_at, prev_hash, hash, n)
         RETURNING e.version, e.global_position, e.recorded_at)
SELECT version, global_position, recorded_at FROM ins ORDER BY version
"""
# The same for the common single-event append, with scalar parameters: no arrays to
# encode and unnest (measured ~20 % faster per append).
APPEND_ONE = f"""
WITH link AS MATERIALIZED (
         SELECT clock_timestamp() AS now,
                pg_current_xact_id()::text::bigint * {POSITIONS_PER_TRANSACTION} AS base
          WHERE ($3::bigint = 0 AND $4::text = '{GENESIS_HASH}')
             OR EXISTS (SELECT FROM events
                         WHERE stream_id = $2 AND version = $3 AND hash = $4))
INSERT INTO events (global_position, event_id, stream_id, version, type, schema_version,
                    data, metadata, occurred_at, recorded_at, prev_hash, hash)
SELECT link.base, $1::uuid, $2, $3 + 1, $5::text, $6::integer, $7::text::jsonb,
       $8::text::jsonb, $9::timestamptz, link.now, $4, $10::text
  FROM link
RETURNING version, global_position, recorded_at
"""
# Everything below this position belongs to transactions that have ended: committed
# rows there are final, and no transaction still running can add one.
SAFE_LIMIT = (
    f"(SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint * {POSITIONS_PER_TRANSACTION})"
)
HASH_AT = "SELECT hash FROM events WHERE stream_id = $1 AND version = $2"
HEAD_OF_STREAM = (
    "SELECT version, hash FROM events WHERE stream_id = $1 ORDER BY version DESC LIMIT 1"
)
READ_STREAM = (
    f"SELECT {READ_COLUMNS} FROM events"
    " WHERE stream_id = $1 AND version >= $2"
    " AND version <= coalesce($3::bigint, 9223372036854775807)"
    " AND ($4::timestamptz IS NULL OR recorded_at <= $4::timestamptz)"
    " ORDER BY version"
)
READ_ALL = (
    f"SELECT {READ_COLUMNS} FROM events WHERE global_position > $1"
    f" AND global_position < {SAFE_LIMIT} ORDER BY global_position LIMIT $2"
)
BY_IDS = f"SELECT {READ_COLUMNS} FROM events WHERE event_id = ANY($1::uuid[])"
# Each stream's last event recorded up to an instant: one backwards probe of the
# (stream_id, version) index per stream, in one statement (a report pins thousands).
STREAM_HEADS = """
SELECT s.stream_id, h.version, h.hash, h.global_position
  FROM unnest($1::text[]) AS s(stream_id)
 CROSS JOIN LATERAL (
       SELECT version, hash, global_position FROM events AS e
        WHERE e.stream_id = s.stream_id AND e.recorded_at <= $2
        ORDER BY version DESC LIMIT 1
 ) AS h
 ORDER BY s.stream_id
"""
STREAM_VERSION = "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1"
HEAD = (
    "SELECT (SELECT coalesce(max(global_position), 0) FROM events"
    f" WHERE global_position < {SAFE_LIMIT}),"
    " (SELECT coalesce(max(global_position), 0) FROM events)"
)
# Committed events past the position, readable or not yet (above the safe limit).
ANY_AFTER = "SELECT EXISTS (SELECT FROM events WHERE global_position > $1)"
VERIFY_ALL = f"SELECT {COLUMNS} FROM events ORDER BY stream_id, version"
VERIFY_STREAM = f"SELECT {COLUMNS} FROM events WHERE stream_id = $1 ORDER BY version"

# Rebuild's bulk read (EventStore.read_rows): only what the fold needs, data as stored text,
# bounded above by a head the store reported, so every row is final.
READ_ROWS = (
    "SELECT global_position, stream_id, version, type, schema_version, data::text,"
    " occurred_at, recorded_at, event_id FROM events"
    " WHERE global_position > $1 AND global_position <= $2"
    " ORDER BY global_position LIMIT $3"
)
# Committed events in a position range, readable or not yet: a lag is a count (positions
# are not contiguous); the range scan uses the global_position index.
COUNT_RANGE = (
    "SELECT count(*) FROM events WHERE global_position > $1"
    " AND global_position <= coalesce($2::bigint, 9223372036854775807)"
)
# The Merkle leaves of a range of final positions (EventStore.read_leaves).
READ_LEAVES = (
    "SELECT stream_id, version, global_position, hash FROM events"
    " WHERE global_position > $1 AND global_position <= $2"
    " ORDER BY global_position LIMIT $3"
)
# Events per stream and data value over a family of streams (EventStore.count_by_data);
# left() rather than LIKE, whose wildcards a prefix would need escaped.
COUNT_BY_DATA = (
    "SELECT stream_id, data->>$2 AS value, count(*) AS n FROM events"
    " WHERE left(stream_id, length($1)) = $1 GROUP BY 1, 2"
)
