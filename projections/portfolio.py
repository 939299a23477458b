"""The portfolio read: every plan the reader may see, key factor by plan (country), with
its status as of today, and each plan's statuses as of every quarter end since it opened
(the trend).

Read from the tables the projector keeps (``summary``, ``benchmarks``, ``trend``); nothing
is folded per request. Quarter ends passed since a plan's last event are not stored, and
take its current statuses, which is what the fold as of them gives (projections.trend).

The grid (``portfolio_plans``) is read a page at a time and carries no trend: a portfolio
of 2,000 plans with ten years of quarter ends has hundreds of thousands of trend cells,
more than a screen shows or a request should encode. The totals and the trend across the
plans are counted in SQL (projections.portfolio_totals); a plan's own trend is read on
demand (``plan_trends``). ``portfolio`` gives both for every plan, for the downloads.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

import asyncpg
from pydantic import BaseModel, ConfigDict

from domain import BenchmarkStatus, KeyFactor, Phase
from projections.conn import Executor
from projections.plans import PlanProjection
from projections.trend import boundary, quarter_ends_between

_S = PlanProjection.live_schema
# Row values to enums by dictionary: Enum(value) costs a call per cell, and a portfolio of
# 2,000 plans has hundreds of thousands of cells.
_KEY_FACTORS = {k.value: k for k in KeyFactor}
_STATUSES = {s.value: s for s in BenchmarkStatus}
_PHASES = {p.value: p for p in Phase}
MEASURING_PHASES = [Phase.IMPLEMENTATION.value, Phase.EVALUATION.value]

# The plans of a portfolio: $1 countries (NULL: all), $2 one phase, $3 one donor.
CHOSEN_PLANS = """
    ($1::text[] IS NULL OR country = ANY($1::text[]))
    AND ($2::text IS NULL OR phase = $2)
    AND ($3::text IS NULL OR $3 = ANY(donors))
"""


@dataclass(frozen=True)
class PortfolioFilter:
    """Which plans: of some countries (None: all), one phase, one donor."""

    countries: list[str] | None = None
    phase: str | None = None
    donor: str | None = None

    def args(self) -> tuple[list[str] | None, str | None, str | None]:
        return self.countries, self.phase, self.donor


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class QuarterStatuses(_View):
    quarter_end: date
    statuses: dict[KeyFactor, BenchmarkStatus]


class PortfolioPlan(_View):
    plan_id: str
    country: str
    title: str
    phase: Phase
    donors: list[str]
    milestones_total: int
    milestones_completed: int
    milestones_overdue: int
    # Indicators whose latest ended reporting period has no measurement (plans still
    # measuring: implementation, evaluation), as results_queries.measurements_due lists them.
    measurements_due: int
    worst_status: BenchmarkStatus
    statuses: dict[KeyFactor, BenchmarkStatus]


class PortfolioPlanTrend(PortfolioPlan):
    trend: list[QuarterStatuses]


async def portfolio_plans(
    pool: Executor,
    chosen: PortfolioFilter,
    *,
    now: datetime,
    limit: int | None = None,
    offset: int = 0,
) -> list[PortfolioPlan]:
    """A page of the grid (None: every plan), by plan id: one statement."""
    rows = await pool.fetch(
        f"""
        SELECT s.plan_id, s.country, s.title, s.phase, s.milestones_total,
               s.milestones_completed, s.milestones_overdue, s.worst_status, s.donors,
               b.key_factors, b.statuses,
               CASE WHEN s.phase = ANY($7::text[]) THEN (
                   SELECT count(*) FROM (
                       SELECT DISTINCT ON (indicator_id) measured_on
                         FROM {_S}.reporting_periods
                        WHERE plan_id = s.plan_id AND ends < $6
                        ORDER BY indicator_id, ends DESC
                   ) AS latest WHERE measured_on IS NULL
               ) ELSE 0 END AS measurements_due
          FROM (SELECT * FROM {_S}.summary WHERE {CHOSEN_PLANS}
                 ORDER BY plan_id LIMIT $4 OFFSET $5) AS s
          LEFT JOIN LATERAL (
              SELECT array_agg(key_factor ORDER BY ordinal) AS key_factors,
                     array_agg(status ORDER BY ordinal) AS statuses
                FROM {_S}.benchmarks WHERE plan_id = s.plan_id
          ) AS b ON true
         ORDER BY s.plan_id
        """,
        *chosen.args(),
        limit,
        offset,
        now.date(),
        MEASURING_PHASES,
    )
    # model_construct: every value is typed here (enums from their own columns).
    return [
        PortfolioPlan.model_construct(
            plan_id=row["plan_id"],
            country=row["country"],
            title=row["title"],
            phase=_PHASES[row["phase"]],
            donors=list(row["donors"]),
            milestones_total=row["milestones_total"],
            milestones_completed=row["milestones_completed"],
            milestones_overdue=row["milestones_overdue"],
            measurements_due=row["measurements_due"],
            worst_status=_STATUSES[row["worst_status"]],
            statuses={
                _KEY_FACTORS[k]: _STATUSES[v]
                for k, v in zip(row["key_factors"] or (), row["statuses"] or (), strict=True)
            },
        )
        for row in rows
    ]


async def plan_trends(
    pool: Executor, plan_ids: list[str], *, now: datetime
) -> dict[str, list[QuarterStatuses]]:
    """The trend of each of these plans, oldest quarter end first: stored quarter ends, then
    those passed since the plan's last event (its current statuses hold for them)."""
    # One row per plan and quarter end (its key factors and statuses as two arrays), not
    # one per key factor: a tenth of the rows to decode and loop over.
    fixed_read = pool.fetch(
        f"""
        SELECT plan_id, quarter_end, array_agg(key_factor) AS key_factors,
               array_agg(status) AS statuses
          FROM {_S}.trend WHERE plan_id = ANY($1::text[])
         GROUP BY plan_id, quarter_end ORDER BY plan_id, quarter_end
        """,
        plan_ids,
    )
    current_read = pool.fetch(
        f"SELECT plan_id, key_factor, status FROM {_S}.benchmarks"
        " WHERE plan_id = ANY($1::text[]) ORDER BY plan_id, ordinal",
        plan_ids,
    )
    last_read = pool.fetch(
        f"SELECT plan_id, last_recorded_at FROM {_S}.summary WHERE plan_id = ANY($1)",
        plan_ids,
    )
    # A pool lends each read its own connection: the three run at once.
    if isinstance(pool, asyncpg.Pool):
        fixed_rows, current_rows, last_rows = await asyncio.gather(
            fixed_read, current_read, last_read
        )
    else:
        fixed_rows, current_rows, last_rows = await fixed_read, await current_read, await last_read
    fixed: dict[str, dict[date, dict[KeyFactor, BenchmarkStatus]]] = defaultdict(dict)
    for row in fixed_rows:
        fixed[row["plan_id"]][row["quarter_end"]] = {
            _KEY_FACTORS[k]: _STATUSES[v]
            for k, v in zip(row["key_factors"], row["statuses"], strict=True)
        }
    current: dict[str, dict[KeyFactor, BenchmarkStatus]] = defaultdict(dict)
    for row in current_rows:
        current[row["plan_id"]][_KEY_FACTORS[row["key_factor"]]] = _STATUSES[row["status"]]
    last_recorded = {row["plan_id"]: row["last_recorded_at"] for row in last_rows}
    # Quarter ends passed since each plan's last event, cut from one list: those whose
    # boundary is after the plan's last event.
    earliest = min(last_recorded.values(), default=now)
    passed = list(quarter_ends_between(earliest, now))
    boundaries = [boundary(q) for q in passed]
    trends = {}
    for plan_id, last in last_recorded.items():
        trend = [
            QuarterStatuses.model_construct(quarter_end=q, statuses=s)
            for q, s in fixed[plan_id].items()
        ]
        trend += [
            QuarterStatuses.model_construct(quarter_end=q, statuses=current[plan_id])
            for q in passed[bisect_right(boundaries, last) :]
        ]
        trends[plan_id] = trend
    return trends


async def portfolio(
    pool: Executor,
    *,
    countries: list[str] | None = None,
    phase: str | None = None,
    donor: str | None = None,
    now: datetime | None = None,
) -> list[PortfolioPlanTrend]:
    """Every chosen plan by id, with its trend (the downloads, the tests)."""
    now = now or datetime.now(UTC)
    plans = await portfolio_plans(pool, PortfolioFilter(countries, phase, donor), now=now)
    trends = await plan_trends(pool, [p.plan_id for p in plans], now=now)
    return [
        PortfolioPlanTrend.model_construct(**dict(plan), trend=trends[plan.plan_id])
        for plan in plans
    ]
