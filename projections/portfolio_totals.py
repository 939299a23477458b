"""The portfolio's totals over every chosen plan, counted in SQL: how many plans, overdue
milestones and measurements due, the statuses of today's grid per key factor, and the
trend across the plans (for every quarter end, how many key factor cells had each status).

The trend's counts are those of the plans' own trends (projections.portfolio.plan_trends)
added up: stored quarter ends from ``trend``, and the quarter ends passed since a plan's
last event counted with its current statuses (``benchmarks``), which is what the fold as
of them gives. A quarter end's instant is ``trend.boundary``: 00:00 UTC the day after.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from datetime import date, datetime

import asyncpg
from pydantic import BaseModel, ConfigDict

from domain import BenchmarkStatus, KeyFactor
from projections.conn import Executor
from projections.plans import PlanProjection
from projections.portfolio import CHOSEN_PLANS, MEASURING_PHASES, PortfolioFilter
from projections.trend import boundary, quarter_ends_between

_S = PlanProjection.live_schema
_KEY_FACTORS = {k.value: k for k in KeyFactor}
_STATUSES = {s.value: s for s in BenchmarkStatus}
FIRST_KEY_FACTOR = next(iter(KeyFactor)).value


class QuarterCounts(BaseModel):
    model_config = ConfigDict(frozen=True)

    quarter_end: date
    plans: int
    statuses: dict[BenchmarkStatus, int]


class PortfolioTotals(BaseModel):
    model_config = ConfigDict(frozen=True)

    plans: int
    milestones_overdue: int
    measurements_due: int
    status_counts: dict[KeyFactor, dict[BenchmarkStatus, int]]
    trend: list[QuarterCounts]


async def portfolio_totals(
    pool: Executor, chosen: PortfolioFilter, *, now: datetime
) -> PortfolioTotals:
    head_read = pool.fetchrow(
        f"""
        WITH chosen AS (SELECT plan_id, phase, milestones_overdue, last_recorded_at
                          FROM {_S}.summary WHERE {CHOSEN_PLANS})
        SELECT (SELECT count(*) FROM chosen) AS plans,
               (SELECT coalesce(sum(milestones_overdue), 0) FROM chosen) AS overdue,
               (SELECT min(last_recorded_at) FROM chosen) AS earliest,
               -- Each indicator's latest ended period (an index probe each, not a scan
               -- of every period): measurements due are those still unmeasured.
               (SELECT count(*)
                  FROM chosen JOIN {_S}.indicators AS i USING (plan_id)
                 CROSS JOIN LATERAL (
                       SELECT r.measured_on FROM {_S}.reporting_periods AS r
                        WHERE r.plan_id = i.plan_id AND r.indicator_id = i.indicator_id
                          AND r.ends < $4
                        ORDER BY r.ends DESC LIMIT 1
                 ) AS latest
                 WHERE chosen.phase = ANY($5::text[]) AND latest.measured_on IS NULL) AS due
        """,
        *chosen.args(),
        now.date(),
        MEASURING_PHASES,
    )
    counts_read = pool.fetch(
        f"""
        SELECT b.key_factor, b.status, count(*) AS n
          FROM {_S}.benchmarks AS b
         WHERE b.plan_id IN (SELECT plan_id FROM {_S}.summary WHERE {CHOSEN_PLANS})
         GROUP BY 1, 2
        """,
        *chosen.args(),
    )
    stored_read = pool.fetch(_stored_trend_sql(chosen), *chosen.args(), FIRST_KEY_FACTOR)
    # A pool lends each read its own connection: the three run at once.
    if isinstance(pool, asyncpg.Pool):
        head, counts, stored = await asyncio.gather(head_read, counts_read, stored_read)
    else:
        head, counts, stored = await head_read, await counts_read, await stored_read
    assert head is not None  # aggregates answer one row
    status_counts: dict[KeyFactor, dict[BenchmarkStatus, int]] = {k: {} for k in KeyFactor}
    for row in counts:
        status_counts[_KEY_FACTORS[row["key_factor"]]][_STATUSES[row["status"]]] = row["n"]
    passed = list(quarter_ends_between(head["earliest"], now)) if head["earliest"] else []
    return PortfolioTotals(
        plans=head["plans"],
        milestones_overdue=head["overdue"],
        measurements_due=head["due"],
        status_counts=status_counts,
        trend=await _trend_counts(pool, chosen, stored, passed),
    )


def _stored_trend_sql(chosen: PortfolioFilter) -> str:
    """The stored quarter ends' counts per (quarter end, status), and the plans counted
    (rows of one key factor): $1-$3 the filter, $4 that key factor.

    Chosen by countries only (every plan, a region, a country: the scopes), summed from the
    counts the projector keeps (projections.trend_totals): a few thousand rows. A phase or
    a donor is a plan's current one, not fixed with its quarter ends: those portfolios
    count their own plans' trend rows (the primary key's plan_id leads)."""
    if chosen.phase is None and chosen.donor is None:
        # Every plan: the totals over all of them; some countries: theirs added up.
        table, where = (
            ("trend_totals", "$1::text[] IS NULL")
            if chosen.countries is None
            else ("trend_country_totals", "country = ANY($1::text[])")
        )
        return f"""
        SELECT quarter_end, status, sum(n)::int AS n,
               coalesce(sum(n) FILTER (WHERE key_factor = $4), 0)::int AS plans
          FROM {_S}.{table}
         WHERE {where} AND $2::text IS NULL AND $3::text IS NULL
         GROUP BY 1, 2
        """
    return f"""
        SELECT t.quarter_end, t.status, count(*) AS n,
               count(*) FILTER (WHERE t.key_factor = $4) AS plans
          FROM {_S}.trend AS t
         WHERE t.plan_id IN (SELECT plan_id FROM {_S}.summary WHERE {CHOSEN_PLANS})
         GROUP BY 1, 2
        """


async def _trend_counts(
    pool: Executor, chosen: PortfolioFilter, stored: list[asyncpg.Record], passed: list[date]
) -> list[QuarterCounts]:
    # Every plan has a row for every key factor at each of its quarter ends (trend_rows,
    # benchmarks): the rows of one key factor count the plans.
    statuses: dict[date, Counter[BenchmarkStatus]] = defaultdict(Counter)
    plans: Counter[date] = Counter()
    for row in stored:
        statuses[row["quarter_end"]][_STATUSES[row["status"]]] += row["n"]
        plans[row["quarter_end"]] += row["plans"]
    # Quarter ends passed since a plan's last event hold its current statuses: a plan
    # counts from the first such quarter end (its index in ``passed``) to the last. Counted
    # per first index in SQL, then added up along the quarter ends here.
    starting: dict[int, Counter[BenchmarkStatus]] = defaultdict(Counter)
    starting_plans: Counter[int] = Counter()
    for row in (
        []
        if not passed
        else await pool.fetch(
            f"""
        WITH first_passed AS MATERIALIZED (
            -- How many boundaries are at or before the plan's last event: the index of
            -- its first passed quarter end (bisect_right, as plan_trends cuts it).
            SELECT plan_id, width_bucket(last_recorded_at, $5::timestamptz[]) AS first
              FROM {_S}.summary WHERE {CHOSEN_PLANS}
        )
        SELECT f.first, t.status, count(*) AS n,
               count(*) FILTER (WHERE t.key_factor = $4) AS plans
          FROM first_passed AS f JOIN {_S}.benchmarks AS t USING (plan_id)
         WHERE f.first < cardinality($5::timestamptz[]) GROUP BY 1, 2
        """,
            *chosen.args(),
            FIRST_KEY_FACTOR,
            [boundary(q) for q in passed],
        )
    ):
        starting[row["first"]][_STATUSES[row["status"]]] += row["n"]
        starting_plans[row["first"]] += row["plans"]
    running: Counter[BenchmarkStatus] = Counter()
    running_plans = 0
    for index, quarter_end in enumerate(passed):
        running.update(starting.get(index, {}))
        running_plans += starting_plans.get(index, 0)
        if running_plans:
            statuses[quarter_end].update(running)
            plans[quarter_end] += running_plans
    return [
        QuarterCounts(quarter_end=q, plans=plans[q], statuses=dict(statuses[q]))
        for q in sorted(statuses)
    ]
