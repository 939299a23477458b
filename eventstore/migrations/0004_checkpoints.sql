-- Signed checkpoints of the Merkle log over all events (eventstore/merkle.py,
-- docs/eventstore.md "Checkpoints"). One row per checkpoint; each extends exactly one
-- earlier one (prev_size is unique), so two checkpointers racing cannot fork the record:
-- the second insert fails and that checkpointer starts again from the row that won.
-- Nothing here is trusted by verification: the witness keeps its own copies, and the
-- frontier is only used to continue the tree (a forged one makes the witness refuse).
CREATE TABLE checkpoints (
    size              bigint      PRIMARY KEY,
    prev_size         bigint      NOT NULL UNIQUE,
    -- Position of the last event covered: where the next checkpoint starts reading.
    last_position     bigint      NOT NULL,
    root_hash         text        NOT NULL,
    -- The compact range (right-edge subtree hashes) of the tree of this size.
    frontier          text[]      NOT NULL,
    -- RFC 9162 consistency proof from prev_size to size, sent to the witness.
    consistency_proof text[]      NOT NULL,
    statement         text        NOT NULL,
    key_id            text        NOT NULL,
    signature         text        NOT NULL,
    signed_at         timestamptz NOT NULL,
    witness_key_id    text,
    cosignature       text,
    witnessed_at      timestamptz,
    CHECK (size > prev_size AND prev_size >= 0)
);

CREATE INDEX checkpoints_unwitnessed ON checkpoints (size) WHERE cosignature IS NULL;

-- The operator's public keys, published at GET /audit/keys and in exports. Written by the
-- checkpointer from its key files; a copy for convenience: the witness records the keys
-- it accepted (with their endorsements), and that is the copy verification relies on.
CREATE TABLE checkpoint_keys (
    key_id      text        PRIMARY KEY,
    public_key  text        NOT NULL,
    endorsed_by text,
    endorsement text,
    first_seen  timestamptz NOT NULL DEFAULT clock_timestamp()
);
