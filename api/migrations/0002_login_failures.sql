-- Failed logins, shared by every API process on this database (api/ratelimit.py): one row
-- per failed authentication under each key (client address, token prefix). Rows older than
-- the window are deleted as new failures arrive, so the table holds one window's worth.
CREATE TABLE login_failures (
    key        text NOT NULL,
    failed_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX login_failures_key_time ON login_failures (key, failed_at);
CREATE INDEX login_failures_time ON login_failures (failed_at);
