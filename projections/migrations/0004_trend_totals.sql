-- The trend across the plans, kept (projections/trend_totals.py): how many trend rows
-- (plan x key factor) had each status at each quarter end, per country. A quarter end's
-- rows never change once fixed and a plan's country never changes, so these counts only
-- grow, in the same transaction as the trend rows they count. The portfolio reads a few
-- thousand of these rather than every trend row (hundreds of thousands at ten years).
-- A function, like projections_create_trend_table, so a rebuild's fresh schema gets it.
CREATE FUNCTION projections_create_trend_totals_table(target text) RETURNS void
LANGUAGE plpgsql
AS $fn$
BEGIN
    EXECUTE format($ddl$
        CREATE TABLE %1$I.trend_totals (
            country     text NOT NULL,
            quarter_end date NOT NULL,
            key_factor  text NOT NULL,
            status      text NOT NULL,
            n           integer NOT NULL,
            PRIMARY KEY (country, quarter_end, key_factor, status)
        );
    $ddl$, target);
END
$fn$;

SELECT projections_create_trend_totals_table('rm_plans');

-- The trend rows already projected, counted once.
INSERT INTO rm_plans.trend_totals (country, quarter_end, key_factor, status, n)
SELECT s.country, t.quarter_end, t.key_factor, t.status, count(*)
  FROM rm_plans.trend AS t JOIN rm_plans.summary AS s USING (plan_id)
 GROUP BY 1, 2, 3, 4;
