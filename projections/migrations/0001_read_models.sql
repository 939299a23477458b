-- Read models, built only from events by the projector (projections/), and its checkpoints.
-- docs/projections.md explains the design.

-- One row per projection: how far it has applied the log, and the event it is stuck on.
-- Lives outside the read-model schemas, so a rebuild's swap keeps it.
CREATE TABLE projection_checkpoints (
    name              text        PRIMARY KEY,
    position          bigint      NOT NULL DEFAULT 0 CHECK (position >= 0),
    updated_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    rebuilt_at        timestamptz,
    failed_position   bigint,
    failed_event_id   uuid,
    failed_event_type text,
    failed_error      text,
    failed_at         timestamptz
);

INSERT INTO projection_checkpoints (name) VALUES ('plans');

-- The "plans" projection's tables, created in a schema given by name: the migration makes
-- the live schema, a rebuild makes a fresh one beside it and swaps the names (one DDL for
-- both, so index and view names stay the same after a swap).
-- JSON documents are text, not jsonb: the projector writes and reads them whole, so jsonb's
-- parse on every write would cost server time and buy no query (cast with ::jsonb ad hoc).
CREATE FUNCTION projections_create_plans_schema(target text) RETURNS void
LANGUAGE plpgsql
AS $fn$
BEGIN
    EXECUTE format('CREATE SCHEMA %I', target);

    EXECUTE format($ddl$
        CREATE TABLE %1$I.summary (
            plan_id              text        PRIMARY KEY,
            country              text        NOT NULL,
            administration       text        NOT NULL,
            title                text        NOT NULL,
            phase                text        NOT NULL,
            version              bigint      NOT NULL,
            period_start         date        NOT NULL,
            period_end           date        NOT NULL,
            opened_by            text        NOT NULL,
            opened_at            timestamptz NOT NULL,
            submitted_by         text,
            submitted_at         timestamptz,
            approvals            text        NOT NULL,
            approved_at          timestamptz,
            milestones_total     integer     NOT NULL,
            milestones_completed integer     NOT NULL,
            milestones_overdue   integer     NOT NULL,
            indicators_total     integer     NOT NULL,
            worst_status         text        NOT NULL,
            last_event_type      text        NOT NULL,
            last_occurred_at     timestamptz NOT NULL,
            last_recorded_at     timestamptz NOT NULL,
            last_position        bigint      NOT NULL,
            -- domain PlanState as JSON: what the next batch folds onto.
            state                text        NOT NULL
        );
        CREATE INDEX summary_country_phase ON %1$I.summary (country, phase);
        CREATE INDEX summary_phase ON %1$I.summary (phase);

        CREATE TABLE %1$I.milestones (
            plan_id           text        NOT NULL,
            milestone_id      text        NOT NULL,
            ordinal           integer     NOT NULL,
            country           text        NOT NULL,
            title             text        NOT NULL,
            key_factor        text        NOT NULL,
            description       text        NOT NULL,
            status            text        NOT NULL,
            percent           integer     NOT NULL,
            due_date          date        NOT NULL,
            original_due_date date        NOT NULL,
            overdue_since     timestamptz,
            reminders_sent    integer     NOT NULL,
            escalated         boolean     NOT NULL,
            times_rescheduled integer     NOT NULL,
            last_note         text        NOT NULL,
            completed_at      timestamptz,
            completed_by      text,
            evidence          text,
            PRIMARY KEY (plan_id, milestone_id)
        );
        CREATE INDEX milestones_overdue ON %1$I.milestones (country, overdue_since)
            WHERE overdue_since IS NOT NULL AND status <> 'completed';

        CREATE TABLE %1$I.indicators (
            plan_id            text             NOT NULL,
            indicator_id       text             NOT NULL,
            ordinal            integer          NOT NULL,
            name               text             NOT NULL,
            key_factor         text             NOT NULL,
            unit               text             NOT NULL,
            source             text             NOT NULL,
            baseline           double precision NOT NULL,
            target             double precision NOT NULL,
            original_target    double precision NOT NULL,
            target_revised     boolean          NOT NULL,
            latest_value       double precision,
            latest_measured_on date,
            progress           double precision,
            expected           double precision,
            gap                double precision,
            status             text             NOT NULL,
            -- [{value, measured_on, source, recorded_at, recorded_by}] by measured_on.
            measurements       text             NOT NULL,
            PRIMARY KEY (plan_id, indicator_id)
        );

        CREATE TABLE %1$I.benchmarks (
            plan_id              text    NOT NULL,
            key_factor           text    NOT NULL,
            ordinal              integer NOT NULL,
            status               text    NOT NULL,
            indicators           integer NOT NULL,
            milestones_total     integer NOT NULL,
            milestones_completed integer NOT NULL,
            milestones_overdue   integer NOT NULL,
            rating               text,
            PRIMARY KEY (plan_id, key_factor)
        );

        -- Overdue milestones of plans still running (closed and cancelled plans are done).
        CREATE VIEW %1$I.overdue_milestones AS
            SELECT m.plan_id, m.country, s.title AS plan_title, s.phase, m.milestone_id,
                   m.title, m.key_factor, m.due_date, m.original_due_date, m.overdue_since,
                   m.percent, m.reminders_sent, m.escalated
              FROM %1$I.milestones AS m
              JOIN %1$I.summary AS s USING (plan_id)
             WHERE m.overdue_since IS NOT NULL
               AND m.status <> 'completed'
               AND s.phase NOT IN ('closed', 'cancelled');
    $ddl$, target);
END
$fn$;

SELECT projections_create_plans_schema('rm_plans');
