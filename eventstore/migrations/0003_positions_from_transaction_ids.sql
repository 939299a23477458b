-- Commit-safe global order without a global lock (docs/decisions/0001-commit-safe-order.md):
-- an append's positions are derived from its transaction id,
--     global_position = xid * 1024 + index in batch (0 .. 1023),
-- so they grow with transaction ids; readers only read below
--     pg_snapshot_xmin(pg_current_snapshot()) * 1024,
-- i.e. only events of transactions that have ended, so nothing can commit later below a
-- position already read. Writers no longer serialise on a lock held through commit.
-- Positions already assigned by the identity are far below any xid * 1024 of a later
-- append (each earlier append used its own xid and at most 1000 positions), so the
-- order stays monotonic across this migration.
ALTER TABLE events ALTER COLUMN global_position DROP IDENTITY IF EXISTS;

COMMENT ON COLUMN events.global_position IS
    'xid * 1024 + index in batch: increasing with transaction ids; read below the '
    'snapshot xmin * 1024 only (commit-safe). Not contiguous.';
