"""Read functions of the results framework: a pool and plain arguments in, views out.

Scoping is the caller's, as in projections.queries: ``countries`` None means every
country, an empty list none. ``today`` comes from the caller (the API's clock), so the
projections stay free of the wall clock and a test can pin it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date

import asyncpg

from domain import PlanState
from projections.conn import Executor
from projections.plans import PlanProjection
from projections.results import (
    Diagnostic,
    MeasurementDueItem,
    ResultsFramework,
    diagnostic,
    results_framework,
)

_S = PlanProjection.live_schema


async def plan_state(pool: Executor, plan_id: str) -> PlanState | None:
    """The plan's state as the projector last folded it."""
    raw = await pool.fetchval(f"SELECT state FROM {_S}.summary WHERE plan_id = $1", plan_id)
    return None if raw is None else PlanState.model_validate_json(raw)


async def plan_states(pool: Executor, plan_ids: list[str]) -> dict[str, PlanState]:
    """Many plans' states as the projector last folded them (each at its ``version``)."""
    rows = await pool.fetch(
        f"SELECT plan_id, state FROM {_S}.summary WHERE plan_id = ANY($1::text[])", plan_ids
    )
    return {row["plan_id"]: PlanState.model_validate_json(row["state"]) for row in rows}


async def states_at_versions(pool: Executor, versions: Mapping[str, int]) -> dict[str, PlanState]:
    """In one statement, the states of the plans whose read-model state is at exactly the
    version given (a report's pins: no event since the instant); the others are left out,
    and only the states returned are decoded."""
    plan_ids = sorted(versions)
    rows = await pool.fetch(
        f"""
        SELECT s.plan_id, s.state
          FROM {_S}.summary AS s
          JOIN unnest($1::text[], $2::bigint[]) AS pinned(plan_id, version)
            ON s.plan_id = pinned.plan_id AND s.version = pinned.version
        """,
        plan_ids,
        [versions[p] for p in plan_ids],
    )
    # Decoded in a thread (pydantic holds the GIL, but the loop gets its turns): other
    # tasks, such as a report's Chromium starting, go on meanwhile.
    return await asyncio.to_thread(_decoded, rows)


def _decoded(rows: list[asyncpg.Record]) -> dict[str, PlanState]:
    return {row["plan_id"]: PlanState.model_validate_json(row["state"]) for row in rows}


async def get_results_framework(
    pool: Executor, plan_id: str, today: date
) -> ResultsFramework | None:
    state = await plan_state(pool, plan_id)
    return None if state is None else results_framework(state, today)


async def get_diagnostic(pool: Executor, plan_id: str) -> Diagnostic | None:
    state = await plan_state(pool, plan_id)
    return None if state is None else diagnostic(state)


async def measurements_due(
    pool: Executor,
    *,
    today: date,
    countries: list[str] | None = None,
    plan_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
    donor: str | None = None,
) -> list[MeasurementDueItem]:
    """Reporting periods that have ended without a measurement dated inside them, of plans
    still measuring (implementation, evaluation) (of one donor's plans, if given), oldest
    first. Only each indicator's latest ended period is listed: a catch-up asks for that
    one, and an earlier period can no longer be measured late into the right column."""
    rows = await pool.fetch(
        f"""
        SELECT * FROM (
            SELECT DISTINCT ON (p.plan_id, p.indicator_id)
                   p.plan_id, p.country, s.title AS plan_title, p.indicator_id,
                   p.indicator_name, p.key_factor, p.reporting_frequency,
                   p.starts AS period_starts, p.ends AS period_ends, p.due_on, p.target,
                   p.measured_on,
                   CASE WHEN p.called_for OR p.due_on <= $1 THEN 'overdue' ELSE 'due' END
                       AS status
              FROM {_S}.reporting_periods AS p
              JOIN {_S}.summary AS s USING (plan_id)
             WHERE p.ends < $1
               AND s.phase IN ('implementation', 'evaluation')
               AND ($2::text[] IS NULL OR p.country = ANY($2::text[]))
               AND ($3::text IS NULL OR p.plan_id = $3)
               AND ($6::text IS NULL OR $6 = ANY(s.donors))
             ORDER BY p.plan_id, p.indicator_id, p.ends DESC
        ) AS latest
         WHERE measured_on IS NULL
         ORDER BY period_ends, plan_id, indicator_id
         LIMIT $4 OFFSET $5
        """,
        today,
        countries,
        plan_id,
        limit,
        offset,
        donor,
    )
    return [
        MeasurementDueItem.model_validate({k: v for k, v in r.items() if k != "measured_on"})
        for r in rows
    ]
