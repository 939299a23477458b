"""Read functions for the API and the CLI: a pool (or connection) and plain arguments in,
pydantic models out. Access scoping is the caller's: ``countries`` None means every
country, an empty list means none.
"""

from __future__ import annotations

import json
from datetime import datetime

import asyncpg

from domain import (
    Approval,
    IndicatorBenchmark,
    Measurement,
    describe,
    parse_event,
)
from domain.facts import carried
from eventstore import EventStore, RecordedEvent
from projections.checkpoints import list_checkpoints
from projections.conn import Executor
from projections.plans import PlanProjection
from projections.views import (
    AuditEntry,
    AuditTrail,
    IndicatorView,
    KeyFactorView,
    MilestoneView,
    OverdueMilestone,
    PlanSummary,
    ProjectionFailure,
    ProjectionStatus,
)

_S = PlanProjection.live_schema

_SUMMARY = (
    "plan_id, country, administration, title, phase, version, period_start, period_end,"
    " opened_by, opened_at, submitted_by, submitted_at, approvals, approved_at,"
    " milestones_total, milestones_completed, milestones_overdue, indicators_total,"
    " worst_status, last_event_type, last_occurred_at, last_recorded_at, last_position"
)
_INDICATOR = (
    "plan_id, indicator_id, name, key_factor, unit, source, baseline, target,"
    " original_target, target_revised, latest_value, latest_measured_on, progress,"
    " expected, gap, status"
)


def _plan_summary(row: asyncpg.Record) -> PlanSummary:
    fields = dict(row)
    fields["approvals"] = [Approval.model_validate(a) for a in json.loads(fields["approvals"])]
    return PlanSummary.model_validate(fields)


async def list_plans(
    pool: Executor,
    *,
    countries: list[str] | None = None,
    phase: str | None = None,
    limit: int = 50,
    offset: int = 0,
    donor: str | None = None,
) -> list[PlanSummary]:
    """Plans by id, optionally of some countries, one phase, one donor (among its donors)."""
    rows = await pool.fetch(
        f"""
        SELECT {_SUMMARY} FROM {_S}.summary
         WHERE ($1::text[] IS NULL OR country = ANY($1::text[]))
           AND ($2::text IS NULL OR phase = $2)
           AND ($5::text IS NULL OR $5 = ANY(donors))
         ORDER BY plan_id LIMIT $3 OFFSET $4
        """,
        countries,
        phase,
        limit,
        offset,
        donor,
    )
    return [_plan_summary(row) for row in rows]


async def get_plan_summary(pool: Executor, plan_id: str) -> PlanSummary | None:
    row = await pool.fetchrow(f"SELECT {_SUMMARY} FROM {_S}.summary WHERE plan_id = $1", plan_id)
    return None if row is None else _plan_summary(row)


async def list_milestones(pool: Executor, plan_id: str) -> list[MilestoneView]:
    """A plan's milestones in the order they were added."""
    rows = await pool.fetch(
        f"""
        SELECT plan_id, milestone_id, title, key_factor, description, status, percent,
               due_date, original_due_date, overdue_since, reminders_sent, escalated,
               times_rescheduled, last_note, completed_at, completed_by, evidence
          FROM {_S}.milestones WHERE plan_id = $1 ORDER BY ordinal
        """,
        plan_id,
    )
    return [MilestoneView.model_validate(dict(row)) for row in rows]


async def list_indicators(pool: Executor, plan_id: str) -> list[IndicatorView]:
    """A plan's indicators with their benchmark and every measurement (for charts)."""
    rows = await pool.fetch(
        f"SELECT {_INDICATOR}, measurements FROM {_S}.indicators"
        " WHERE plan_id = $1 ORDER BY ordinal",
        plan_id,
    )
    views = []
    for row in rows:
        fields = dict(row)
        fields["measurements"] = [
            Measurement.model_validate(m) for m in json.loads(fields["measurements"])
        ]
        views.append(IndicatorView.model_validate(fields))
    return views


async def get_benchmarks(pool: Executor, plan_id: str) -> list[KeyFactorView]:
    """The ten key factors (declaration order) with their indicators; [] for no such plan."""
    benchmarks = await pool.fetch(
        f"""
        SELECT key_factor, status, milestones_total, milestones_completed,
               milestones_overdue, rating
          FROM {_S}.benchmarks WHERE plan_id = $1 ORDER BY ordinal
        """,
        plan_id,
    )
    indicators = await pool.fetch(
        f"SELECT {_INDICATOR} FROM {_S}.indicators WHERE plan_id = $1 ORDER BY indicator_id",
        plan_id,
    )
    by_factor: dict[str, list[IndicatorBenchmark]] = {}
    for row in indicators:
        by_factor.setdefault(row["key_factor"], []).append(
            IndicatorBenchmark.model_validate(dict(row))
        )
    return [
        KeyFactorView.model_validate(
            {**dict(row), "indicators": by_factor.get(row["key_factor"], [])}
        )
        for row in benchmarks
    ]


async def overdue_milestones(
    pool: Executor,
    *,
    countries: list[str] | None = None,
    limit: int = 100,
    offset: int = 0,
    donor: str | None = None,
) -> list[OverdueMilestone]:
    """Overdue milestones of running plans (of one donor's plans, if given), longest
    overdue first."""
    rows = await pool.fetch(
        f"""
        SELECT plan_id, country, plan_title, phase, milestone_id, title, key_factor,
               due_date, original_due_date, overdue_since, percent, reminders_sent, escalated
          FROM {_S}.overdue_milestones
         WHERE ($1::text[] IS NULL OR country = ANY($1::text[]))
           AND ($4::text IS NULL
                OR plan_id IN (SELECT plan_id FROM {_S}.summary WHERE $4 = ANY(donors)))
         ORDER BY overdue_since, plan_id, milestone_id LIMIT $2 OFFSET $3
        """,
        countries,
        limit,
        offset,
        donor,
    )
    return [OverdueMilestone.model_validate(dict(row)) for row in rows]


def describe_event(event: RecordedEvent) -> str:
    """The domain's one-sentence description; an event the domain cannot read (unknown
    type, malformed data) is still listed, with a description that says so."""
    actor = event.metadata.get("actor")
    try:
        return describe(parse_event(event.type, event.data, event.schema_version), actor)
    except Exception:
        return f"{event.type} event that this version cannot describe."


def audit_entry(event: RecordedEvent) -> AuditEntry:
    return carried(
        AuditEntry,
        event,
        type=event.type,
        actor=event.metadata.get("actor"),
        role=event.metadata.get("role"),
        description=describe_event(event),
    )


async def audit_trail(
    store: EventStore, plan_id: str, *, limit: int = 100, offset: int = 0
) -> AuditTrail:
    """Every event of a plan in order, read from the event store itself (not a copy):
    versions are contiguous from 1, so a page is the version range offset+1..offset+limit."""
    stream_id = f"plan-{plan_id}"
    total = await store.stream_version(stream_id)
    events = []
    if limit > 0 and offset < total:
        events = await store.read_stream(
            stream_id, from_version=offset + 1, to_version=offset + limit
        )
    return AuditTrail(
        plan_id=plan_id,
        total=total,
        limit=limit,
        offset=offset,
        entries=[audit_entry(event) for event in events],
    )


async def projection_status(pool: asyncpg.Pool, store: EventStore) -> list[ProjectionStatus]:
    """Each projection's checkpoint (``pool``: the read models' database), the store's
    head, and how far behind it is."""
    head = await store.head_position()
    now: datetime = await pool.fetchval("SELECT clock_timestamp()")
    statuses = []
    for checkpoint in await list_checkpoints(pool):
        lag_seconds = 0.0
        if checkpoint.position < head:
            oldest = await store.read_all(checkpoint.position, 1)
            if oldest:
                lag_seconds = max(0.0, (now - oldest[0].recorded_at).total_seconds())
        failure = None
        if checkpoint.failed_position is not None:
            failure = ProjectionFailure(
                position=checkpoint.failed_position,
                event_id=checkpoint.failed_event_id,
                event_type=checkpoint.failed_event_type,
                error=checkpoint.failed_error,
                at=checkpoint.failed_at,
            )
        statuses.append(
            ProjectionStatus(
                name=checkpoint.name,
                position=checkpoint.position,
                head=head,
                lag_events=await store.count_events(checkpoint.position, head),
                lag_seconds=lag_seconds,
                updated_at=checkpoint.updated_at,
                rebuilt_at=checkpoint.rebuilt_at,
                failure=failure,
            )
        )
    return statuses
