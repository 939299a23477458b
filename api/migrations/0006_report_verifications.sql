-- The last verification of each issued report (issue 16): computed at issue, again on
-- demand (POST /reports/{id}/verify) or by a background pass (acip report reverify), so
-- GET /reports shows it without recomputing every report on each view. Derived data: the
-- record (report_issued in reports-all) stays the authority, and any row can be recomputed.
CREATE TABLE report_verifications (
    report_id       text PRIMARY KEY,
    ok              boolean NOT NULL,
    problems        jsonb NOT NULL DEFAULT '[]',
    differing_files jsonb NOT NULL DEFAULT '[]',
    verified_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
