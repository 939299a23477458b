-- The event store: one append-only table, one append function, one immutability trigger.
-- docs/eventstore.md explains the guarantees; docs/decisions/0001-commit-safe-order.md the lock.

CREATE TABLE events (
    -- Assigned under the append lock, so positions are handed out in commit order.
    global_position bigint      GENERATED ALWAYS AS IDENTITY,
    event_id        uuid        NOT NULL,
    stream_id       text        NOT NULL,
    version         bigint      NOT NULL CHECK (version >= 1),
    type            text        NOT NULL,
    schema_version  integer     NOT NULL CHECK (schema_version >= 1),
    data            jsonb       NOT NULL,
    metadata        jsonb       NOT NULL,
    occurred_at     timestamptz NOT NULL,
    -- Database time taken under the append lock (clock_timestamp, not now(): a transaction
    -- that waited for the lock must not get an instant earlier than the one before it).
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    prev_hash       text        NOT NULL,
    hash            text        NOT NULL,
    CONSTRAINT events_pkey PRIMARY KEY (event_id),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, version),
    CONSTRAINT events_global_position_key UNIQUE (global_position)
);

COMMENT ON TABLE events IS
    'Append-only event log. Write only through eventstore_append(); never UPDATE/DELETE.';

-- The only write path. One call = one statement = one round trip: lock, check the
-- expected version, chain the hashes, insert, notify. The caller runs it in its own
-- (implicit) transaction, so the advisory lock is held until the commit is visible.
--   p_expected: -1 = any version, 0 = the stream must not exist, n = must be at n.
--   p_prefixes: canonical JSON (RFC 8785) of each envelope without its version tail,
--               ending in '"version":' (see eventstore/hashing.py).
CREATE FUNCTION eventstore_append(
    p_stream_id       text,
    p_expected        bigint,
    p_event_ids       uuid[],
    p_types           text[],
    p_schema_versions integer[],
    p_occurred_at     timestamptz[],
    p_prefixes        text[]
) RETURNS TABLE (
    out_version         bigint,
    out_global_position bigint,
    out_recorded_at     timestamptz,
    out_prev_hash       text,
    out_hash            text
)
LANGUAGE plpgsql
AS $fn$
DECLARE
    v_current bigint;
    v_prev    text;
    v_now     timestamptz;
    v_prevs   text[] := '{}';
    v_hashes  text[] := '{}';
BEGIN
    -- 'ACIPEVTS': serialises appends from here to commit (decision 0001).
    PERFORM pg_advisory_xact_lock(4702683045014426707);
    v_now := clock_timestamp();

    SELECT e.version, e.hash INTO v_current, v_prev
      FROM events AS e
     WHERE e.stream_id = p_stream_id
     ORDER BY e.version DESC
     LIMIT 1;
    IF NOT FOUND THEN
        v_current := 0;
        v_prev := repeat('0', 64);
    END IF;

    IF p_expected >= 0 AND p_expected <> v_current THEN
        RAISE EXCEPTION 'stream %: expected version %, actual version %',
                        p_stream_id, p_expected, v_current
              USING ERRCODE = 'ES409', DETAIL = v_current::text;
    END IF;

    FOR i IN 1 .. cardinality(p_event_ids) LOOP
        v_prevs[i] := v_prev;
        v_prev := encode(
            sha256(convert_to(v_prev || p_prefixes[i] || (v_current + i)::text || '}', 'UTF8')),
            'hex');
        v_hashes[i] := v_prev;
    END LOOP;

    RETURN QUERY
    INSERT INTO events AS e (event_id, stream_id, version, type, schema_version, data,
                             metadata, occurred_at, recorded_at, prev_hash, hash)
    SELECT u.event_id, p_stream_id, v_current + u.n, u.type, u.schema_version,
           b.body -> 'data', b.body -> 'metadata', u.occurred_at, v_now,
           u.prev_hash, u.hash
      FROM unnest(p_event_ids, p_types, p_schema_versions, p_occurred_at, p_prefixes,
                  v_prevs, v_hashes)
           WITH ORDINALITY AS u(event_id, type, schema_version, occurred_at, prefix,
                                prev_hash, hash, n)
     CROSS JOIN LATERAL (SELECT (u.prefix || (v_current + u.n)::text || '}')::jsonb AS body) AS b
     ORDER BY u.n
    RETURNING e.version, e.global_position, e.recorded_at, e.prev_hash, e.hash;

    -- Delivered at commit only; subscribers also poll, so a lost notification costs latency.
    PERFORM pg_notify('acip_events', p_stream_id);
END
$fn$;

-- Tamper resistance: the log refuses every change. (A superuser can disable the trigger;
-- the hash chain is what makes such a change evident, see eventstore.verify.)
CREATE FUNCTION events_refuse_change() RETURNS trigger
LANGUAGE plpgsql
AS $fn$
BEGIN
    RAISE EXCEPTION 'events is append-only: % refused', TG_OP
          USING ERRCODE = 'ES403',
                HINT = 'Record a correction by appending a new event.';
END
$fn$;

CREATE TRIGGER events_refuse_update_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER events_refuse_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();
