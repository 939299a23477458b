-- The results framework's reporting periods (projections/results.py): one row per
-- reporting period of every indicator, with its target on the path and its measurement, so
-- measurements due across all plans is one indexed query.
-- The first version of the schema function is kept under another name and called first,
-- so a rebuild's fresh schema gets every table of 0001 and this one.
ALTER FUNCTION projections_create_plans_schema(text) RENAME TO projections_create_plans_schema_v1;

CREATE FUNCTION projections_create_reporting_periods(target text) RETURNS void
LANGUAGE plpgsql
AS $fn$
BEGIN
    EXECUTE format($ddl$
        CREATE TABLE %1$I.reporting_periods (
            plan_id             text             NOT NULL,
            indicator_id        text             NOT NULL,
            period_index        integer          NOT NULL,
            country             text             NOT NULL,
            indicator_name      text             NOT NULL,
            key_factor          text             NOT NULL,
            reporting_frequency text             NOT NULL,
            starts              date             NOT NULL,
            ends                date             NOT NULL,
            -- measurement_due is raised on this day if the period is still unmeasured.
            due_on              date             NOT NULL,
            target              double precision NOT NULL,
            measured_value      double precision,
            measured_on         date,
            -- measurement_due was raised for this period (or a catch-up passed over it).
            called_for          boolean          NOT NULL,
            PRIMARY KEY (plan_id, indicator_id, period_index)
        );
        CREATE INDEX reporting_periods_unmeasured ON %1$I.reporting_periods (country, ends)
            WHERE measured_on IS NULL;
    $ddl$, target);
END
$fn$;

CREATE FUNCTION projections_create_plans_schema(target text) RETURNS void
LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM projections_create_plans_schema_v1(target);
    PERFORM projections_create_reporting_periods(target);
END
$fn$;

SELECT projections_create_reporting_periods('rm_plans');
