-- Appends are now one INSERT statement with hashes computed by the client
-- (eventstore/store.py, _APPEND), so the plpgsql append function of 0001 is unused.
-- Dropping it leaves a single write path to test and audit.
DROP FUNCTION eventstore_append(text, bigint, uuid[], text[], integer[], timestamptz[], text[]);
