"""The portfolio read: every plan the reader may see, key factor by plan (country), with
its status as of today and as of every quarter end since the plan opened (the trend).

Read from the tables the projector keeps (``summary``, ``benchmarks``, ``trend``); nothing
is folded per request. Quarter ends passed since a plan's last event are not stored, and
take its current statuses, which is what the fold as of them gives (projections.trend).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import UTC, date, datetime

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
_MEASURING = frozenset({Phase.IMPLEMENTATION.value, Phase.EVALUATION.value})


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
    trend: list[QuarterStatuses]


async def portfolio(
    pool: Executor,
    *,
    countries: list[str] | None = None,
    phase: str | None = None,
    donor: str | None = None,
    now: datetime | None = None,
) -> list[PortfolioPlan]:
    """Plans by id, optionally of some countries (None: all), one phase, one donor."""
    now = now or datetime.now(UTC)
    summaries = await pool.fetch(
        f"""
        SELECT plan_id, country, title, phase, milestones_total, milestones_completed,
               milestones_overdue, worst_status, last_recorded_at, donors
          FROM {_S}.summary
         WHERE ($1::text[] IS NULL OR country = ANY($1::text[]))
           AND ($2::text IS NULL OR phase = $2)
           AND ($3::text IS NULL OR $3 = ANY(donors))
         ORDER BY plan_id
        """,
        countries,
        phase,
        donor,
    )
    ids = [row["plan_id"] for row in summaries]
    current: dict[str, dict[KeyFactor, BenchmarkStatus]] = defaultdict(dict)
    for row in await pool.fetch(
        f"SELECT plan_id, key_factor, status FROM {_S}.benchmarks"
        " WHERE plan_id = ANY($1::text[]) ORDER BY plan_id, ordinal",
        ids,
    ):
        current[row["plan_id"]][_KEY_FACTORS[row["key_factor"]]] = _STATUSES[row["status"]]
    # One row per plan and quarter end (its key factors and statuses as two arrays), not
    # one per key factor: a tenth of the rows to decode and loop over.
    fixed: dict[str, dict[date, dict[KeyFactor, BenchmarkStatus]]] = defaultdict(dict)
    for row in await pool.fetch(
        f"""
        SELECT plan_id, quarter_end, array_agg(key_factor) AS key_factors,
               array_agg(status) AS statuses
          FROM {_S}.trend WHERE plan_id = ANY($1::text[])
         GROUP BY plan_id, quarter_end ORDER BY plan_id, quarter_end
        """,
        ids,
    ):
        fixed[row["plan_id"]][row["quarter_end"]] = {
            _KEY_FACTORS[k]: _STATUSES[v]
            for k, v in zip(row["key_factors"], row["statuses"], strict=True)
        }
    due = {
        row["plan_id"]: row["due"]
        for row in await pool.fetch(
            f"""
            SELECT plan_id, count(*) AS due FROM (
                SELECT DISTINCT ON (plan_id, indicator_id) plan_id, measured_on
                  FROM {_S}.reporting_periods
                 WHERE ends < $1 AND plan_id = ANY($2::text[])
                 ORDER BY plan_id, indicator_id, ends DESC
            ) AS latest
             WHERE measured_on IS NULL
             GROUP BY plan_id
            """,
            now.date(),
            ids,
        )
    }
    # Quarter ends passed since each plan's last event (not stored: its current statuses
    # hold), cut from one list: those whose boundary is after the plan's last event.
    earliest = min((row["last_recorded_at"] for row in summaries), default=now)
    passed = list(quarter_ends_between(earliest, now))
    boundaries = [boundary(q) for q in passed]
    plans = []
    for row in summaries:
        plan_id = row["plan_id"]
        statuses = current[plan_id]
        trend = [
            QuarterStatuses.model_construct(quarter_end=q, statuses=s)
            for q, s in fixed[plan_id].items()
        ]
        trend += [
            QuarterStatuses.model_construct(quarter_end=q, statuses=statuses)
            for q in passed[bisect_right(boundaries, row["last_recorded_at"]) :]
        ]
        # model_construct: every value is typed above (enums from their own columns).
        plans.append(
            PortfolioPlan.model_construct(
                plan_id=plan_id,
                country=row["country"],
                title=row["title"],
                phase=Phase(row["phase"]),
                donors=list(row["donors"]),
                milestones_total=row["milestones_total"],
                milestones_completed=row["milestones_completed"],
                milestones_overdue=row["milestones_overdue"],
                measurements_due=due.get(plan_id, 0) if row["phase"] in _MEASURING else 0,
                worst_status=BenchmarkStatus(row["worst_status"]),
                statuses=statuses,
                trend=trend,
            )
        )
    return plans
