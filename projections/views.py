"""What readers get back from projections.queries and projections.history: pydantic models.

Benchmark shapes are the domain's own (domain.benchmarks), so a number on a dashboard and a
number in a replay come from the same definition.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain import (
    Approval,
    BenchmarkStatus,
    IndicatorBenchmark,
    KeyFactor,
    KeyFactorBenchmark,
    Measurement,
    Phase,
    PlanState,
    RatingValue,
)
from domain.state import MilestoneStatus


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class PlanHeading(_View):
    """What names a plan and where it stands: the head of its summary and of its replay."""

    plan_id: str
    country: str
    administration: str
    title: str
    phase: Phase
    version: int
    period_start: date
    period_end: date


class PlanSummary(PlanHeading):
    opened_by: str
    opened_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None
    # Approvals of the current submission (request_changes clears them).
    approvals: list[Approval]
    approved_at: datetime | None
    milestones_total: int
    milestones_completed: int
    milestones_overdue: int
    indicators_total: int
    # Worst key-factor status over the key factors with indicators.
    worst_status: BenchmarkStatus
    last_event_type: str
    last_occurred_at: datetime
    last_recorded_at: datetime
    last_position: int


class MilestoneView(_View):
    plan_id: str
    milestone_id: str
    title: str
    key_factor: KeyFactor
    description: str
    status: MilestoneStatus
    percent: int
    due_date: date
    original_due_date: date
    overdue_since: datetime | None
    reminders_sent: int
    escalated: bool
    times_rescheduled: int
    last_note: str
    completed_at: datetime | None
    completed_by: str | None
    evidence: str | None


class IndicatorView(IndicatorBenchmark):
    """An indicator's benchmark with every measurement, by measured_on (for charts)."""

    source: str
    measurements: list[Measurement]


class KeyFactorView(KeyFactorBenchmark):
    """A key factor's benchmark, plus its evaluation rating once rated."""

    rating: RatingValue | None = None


class OverdueMilestone(_View):
    plan_id: str
    country: str
    plan_title: str
    phase: Phase
    milestone_id: str
    title: str
    key_factor: KeyFactor
    due_date: date
    original_due_date: date
    overdue_since: datetime
    percent: int
    reminders_sent: int
    escalated: bool


class AuditEntry(_View):
    global_position: int
    version: int
    event_id: UUID
    type: str
    schema_version: int
    occurred_at: datetime
    recorded_at: datetime
    actor: str | None
    role: str | None
    description: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    prev_hash: str
    hash: str


class AuditTrail(_View):
    plan_id: str
    # Events in the stream (the plan's version): pages are versions offset+1 .. offset+limit.
    total: int
    limit: int
    offset: int
    entries: list[AuditEntry]


class ProjectionFailure(_View):
    position: int
    event_id: UUID | None
    event_type: str | None
    error: str | None
    at: datetime | None


class ProjectionStatus(_View):
    name: str
    position: int
    head: int
    # Events recorded after the checkpoint, up to the head.
    lag_events: int
    # Age of the oldest event not yet applied (0 when caught up).
    lag_seconds: float
    updated_at: datetime
    rebuilt_at: datetime | None
    failure: ProjectionFailure | None


class PlanAsOf(_View):
    """A plan replayed from its stored events, as of an instant or a version."""

    plan_id: str
    as_of: datetime | None
    as_of_version: int | None
    version: int
    last_recorded_at: datetime
    state: PlanState
    benchmarks: list[KeyFactorBenchmark]
