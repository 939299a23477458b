-- A delivery that fails is kept as 'failed' with its error and retried later by the plan's
-- workflow; these say how often it was tried and when last.
ALTER TABLE notifications
    ADD COLUMN attempts        integer NOT NULL DEFAULT 0,
    ADD COLUMN last_attempt_at timestamptz;
