"""The portfolio's totals over every chosen plan, counted in SQL: how many plans, overdue
milestones and measurements due, the statuses of today's grid per key factor, and the
trend across the plans (for every quarter end, how many key factor cells had each status).

The trend's counts are those of the plans' own trends (projections.portfolio.plan_trends)
added up: stored quarter ends from ``trend``, and the quarter ends passed since a plan's
last event counted with its current statuses (``benchmarks``), which is what the fold as
of them gives. A quarter end's instant is ``trend.boundary``: 00:00 UTC the day after.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from domain import BenchmarkStatus, KeyFactor
from projections.conn import Executor
from projections.plans import PlanProjection
from projections.portfolio import CHOSEN_PLANS, MEASURING_PHASES, PortfolioFilter
from projections.trend import quarter_ends_between

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
    head = await pool.fetchrow(
        f"""
        WITH chosen AS (SELECT plan_id, phase, milestones_overdue, last_recorded_at
                          FROM {_S}.summary WHERE {CHOSEN_PLANS})
        SELECT (SELECT count(*) FROM chosen) AS plans,
               (SELECT coalesce(sum(milestones_overdue), 0) FROM chosen) AS overdue,
               (SELECT min(last_recorded_at) FROM chosen) AS earliest,
               (SELECT count(*) FROM (
                    SELECT DISTINCT ON (r.plan_id, r.indicator_id) r.measured_on
                      FROM {_S}.reporting_periods AS r JOIN chosen USING (plan_id)
                     WHERE r.ends < $4 AND chosen.phase = ANY($5::text[])
                     ORDER BY r.plan_id, r.indicator_id, r.ends DESC
                ) AS latest WHERE measured_on IS NULL) AS due
        """,
        *chosen.args(),
        now.date(),
        MEASURING_PHASES,
    )
    status_counts: dict[KeyFactor, dict[BenchmarkStatus, int]] = {k: {} for k in KeyFactor}
    for row in await pool.fetch(
        f"""
        SELECT b.key_factor, b.status, count(*) AS n
          FROM {_S}.benchmarks AS b
         WHERE b.plan_id IN (SELECT plan_id FROM {_S}.summary WHERE {CHOSEN_PLANS})
         GROUP BY 1, 2
        """,
        *chosen.args(),
    ):
        status_counts[_KEY_FACTORS[row["key_factor"]]][_STATUSES[row["status"]]] = row["n"]
    passed = list(quarter_ends_between(head["earliest"], now)) if head["earliest"] else []
    return PortfolioTotals(
        plans=head["plans"],
        milestones_overdue=head["overdue"],
        measurements_due=head["due"],
        status_counts=status_counts,
        trend=await _trend_counts(pool, chosen, passed),
    )


async def _trend_counts(
    pool: Executor, chosen: PortfolioFilter, passed: list[date]
) -> list[QuarterCounts]:
    # Every plan has a row for every key factor at each of its quarter ends (trend_rows,
    # benchmarks): the rows of one key factor count the plans.
    rows = await pool.fetch(
        f"""
        WITH chosen AS (SELECT plan_id, last_recorded_at
                          FROM {_S}.summary WHERE {CHOSEN_PLANS}),
        cells AS (
            SELECT t.quarter_end, t.key_factor, t.status
              FROM {_S}.trend AS t JOIN chosen USING (plan_id)
            UNION ALL
            -- Quarter ends passed since the plan's last event: its current statuses.
            SELECT q.quarter_end, b.key_factor, b.status
              FROM unnest($4::date[]) AS q(quarter_end)
              JOIN chosen
                ON (q.quarter_end + 1)::timestamp AT TIME ZONE 'UTC' > chosen.last_recorded_at
              JOIN {_S}.benchmarks AS b USING (plan_id)
        )
        SELECT quarter_end, status, count(*) AS n,
               count(*) FILTER (WHERE key_factor = $5) AS plans
          FROM cells GROUP BY 1, 2 ORDER BY 1, 2
        """,
        *chosen.args(),
        passed,
        FIRST_KEY_FACTOR,
    )
    statuses: dict[date, dict[BenchmarkStatus, int]] = defaultdict(dict)
    plans: dict[date, int] = defaultdict(int)
    for row in rows:
        statuses[row["quarter_end"]][_STATUSES[row["status"]]] = row["n"]
        plans[row["quarter_end"]] += row["plans"]
    return [
        QuarterCounts(quarter_end=q, plans=plans[q], statuses=counts)
        for q, counts in statuses.items()
    ]
