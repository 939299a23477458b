-- The trend across the plans, kept (projections/trend_totals.py): how many trend rows
-- (plan x key factor) had each status at each quarter end, over every plan
-- (trend_totals: a few thousand rows) and per country (trend_country_totals, for the
-- country and region scopes). A quarter end's rows never change once fixed and a plan's
-- country never changes, so these counts only grow, in the same transaction as the trend
-- rows they count. The portfolio sums these rather than every trend row (hundreds of
-- thousands at ten years). A function, like projections_create_trend_table, so a rebuild's
-- fresh schema gets them.
-- Also an index for the portfolio's count of measurements due (each indicator's latest
-- ended reporting period): one index probe per indicator of the chosen plans rather than
-- a scan of every reporting period (350,000 at 2,000 ten-year plans).
CREATE FUNCTION projections_create_portfolio_totals(target text) RETURNS void
LANGUAGE plpgsql
AS $fn$
BEGIN
    EXECUTE format($ddl$
        CREATE TABLE %1$I.trend_totals (
            quarter_end date    NOT NULL,
            key_factor  text    NOT NULL,
            status      text    NOT NULL,
            n           integer NOT NULL,
            PRIMARY KEY (quarter_end, key_factor, status)
        );
        CREATE TABLE %1$I.trend_country_totals (
            country     text    NOT NULL,
            quarter_end date    NOT NULL,
            key_factor  text    NOT NULL,
            status      text    NOT NULL,
            n           integer NOT NULL,
            PRIMARY KEY (country, quarter_end, key_factor, status)
        );
        CREATE INDEX reporting_periods_latest_ended
            ON %1$I.reporting_periods (plan_id, indicator_id, ends);
    $ddl$, target);
END
$fn$;

SELECT projections_create_portfolio_totals('rm_plans');

-- The trend rows already projected, counted once.
INSERT INTO rm_plans.trend_country_totals (country, quarter_end, key_factor, status, n)
SELECT s.country, t.quarter_end, t.key_factor, t.status, count(*)
  FROM rm_plans.trend AS t JOIN rm_plans.summary AS s USING (plan_id)
 GROUP BY 1, 2, 3, 4;
INSERT INTO rm_plans.trend_totals (quarter_end, key_factor, status, n)
SELECT quarter_end, key_factor, status, sum(n)
  FROM rm_plans.trend_country_totals GROUP BY 1, 2, 3;
