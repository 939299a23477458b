-- The portfolio trend (projections/trend.py): each plan's key factor statuses as of every
-- quarter end since it opened, one row per plan x quarter end x key factor. Append only:
-- a quarter end is fixed by the plan's first event recorded after it. Quarter ends passed
-- since a plan's last event are not stored (its current benchmarks hold for them).
-- Also the plan's donors on its summary row (text[]), so the portfolio filters and shows
-- them without reading the plan's state. A function, like projections_create_plans_schema,
-- so a rebuild's fresh schema gets both.
CREATE FUNCTION projections_create_trend_table(target text) RETURNS void
LANGUAGE plpgsql
AS $fn$
BEGIN
    EXECUTE format($ddl$
        ALTER TABLE %1$I.summary ADD COLUMN donors text[] NOT NULL DEFAULT '{}';

        CREATE TABLE %1$I.trend (
            plan_id     text NOT NULL,
            quarter_end date NOT NULL,
            key_factor  text NOT NULL,
            status      text NOT NULL,
            PRIMARY KEY (plan_id, quarter_end, key_factor)
        );
    $ddl$, target);
END
$fn$;

SELECT projections_create_trend_table('rm_plans');
