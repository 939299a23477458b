"""Events: what happened to a plan, past tense. Self-contained: each carries everything
evolve() needs, including the instant when it matters, so a replay needs nothing else."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from domain.access import Role
from domain.keyfactors import KeyFactor
from domain.state import RatingValue, ReminderPolicy


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlanOpened(_Event):
    type: Literal["plan_opened"] = "plan_opened"
    plan_id: str
    country: str
    administration: str
    title: str
    period_start: date
    period_end: date
    reminder_policy: ReminderPolicy = ReminderPolicy()
    opened_by: str
    opened_at: AwareDatetime


class DiagnosticFindingRecorded(_Event):
    type: Literal["diagnostic_finding_recorded"] = "diagnostic_finding_recorded"
    key_factor: KeyFactor
    maturity: int
    summary: str
    recorded_by: str
    at: AwareDatetime


class DiagnosticCompleted(_Event):
    type: Literal["diagnostic_completed"] = "diagnostic_completed"
    by: str
    at: AwareDatetime


class MilestoneAdded(_Event):
    type: Literal["milestone_added"] = "milestone_added"
    milestone_id: str
    title: str
    key_factor: KeyFactor
    due_date: date
    description: str = ""
    by: str
    at: AwareDatetime


class MilestoneRemoved(_Event):
    type: Literal["milestone_removed"] = "milestone_removed"
    milestone_id: str
    by: str
    at: AwareDatetime


class IndicatorDefined(_Event):
    type: Literal["indicator_defined"] = "indicator_defined"
    indicator_id: str
    name: str
    key_factor: KeyFactor
    unit: str
    baseline: float
    target: float
    source: str = ""
    by: str
    at: AwareDatetime


class IndicatorRemoved(_Event):
    type: Literal["indicator_removed"] = "indicator_removed"
    indicator_id: str
    by: str
    at: AwareDatetime


class PlanSubmitted(_Event):
    type: Literal["plan_submitted"] = "plan_submitted"
    submitted_by: str
    at: AwareDatetime


class PlanApprovalGranted(_Event):
    type: Literal["plan_approval_granted"] = "plan_approval_granted"
    approver: str
    role: Role
    comment: str = ""
    at: AwareDatetime


class PlanApproved(_Event):
    """Appended right after the approval that completes both roles; the plan enters
    implementation."""

    type: Literal["plan_approved"] = "plan_approved"
    approvers: list[str] = Field(default_factory=list)
    at: AwareDatetime


class PlanChangesRequested(_Event):
    type: Literal["plan_changes_requested"] = "plan_changes_requested"
    by: str
    role: Role
    reason: str
    at: AwareDatetime


class MilestoneProgressReported(_Event):
    type: Literal["milestone_progress_reported"] = "milestone_progress_reported"
    milestone_id: str
    percent: int
    note: str
    by: str
    at: AwareDatetime


class MilestoneCompleted(_Event):
    type: Literal["milestone_completed"] = "milestone_completed"
    milestone_id: str
    evidence: str
    by: str
    at: AwareDatetime


class MilestoneRescheduled(_Event):
    type: Literal["milestone_rescheduled"] = "milestone_rescheduled"
    milestone_id: str
    previous_due_date: date
    new_due_date: date
    reason: str
    by: str
    at: AwareDatetime


class IndicatorMeasured(_Event):
    type: Literal["indicator_measured"] = "indicator_measured"
    indicator_id: str
    value: float
    measured_on: date
    source: str = ""
    recorded_by: str
    recorded_at: AwareDatetime


class IndicatorTargetRevised(_Event):
    type: Literal["indicator_target_revised"] = "indicator_target_revised"
    indicator_id: str
    previous_target: float
    new_target: float
    reason: str
    by: str
    at: AwareDatetime


class EvaluationStarted(_Event):
    type: Literal["evaluation_started"] = "evaluation_started"
    by: str  # "system" when raised by time at the end of the period
    at: AwareDatetime


class KeyFactorRated(_Event):
    type: Literal["key_factor_rated"] = "key_factor_rated"
    key_factor: KeyFactor
    rating: RatingValue
    note: str
    by: str
    at: AwareDatetime


class PlanClosed(_Event):
    type: Literal["plan_closed"] = "plan_closed"
    summary: str
    by: str
    at: AwareDatetime


class PlanCancelled(_Event):
    type: Literal["plan_cancelled"] = "plan_cancelled"
    reason: str
    by: str
    at: AwareDatetime


class ReminderSent(_Event):
    type: Literal["reminder_sent"] = "reminder_sent"
    milestone_id: str
    kind: Literal["due_soon", "overdue"]
    due_date: date
    at: AwareDatetime
    # Reminders go to the country's focal points (DOMAIN.md).
    recipient_roles: tuple[Role, ...] = (Role.FOCAL_POINT,)


class MilestoneOverdue(_Event):
    type: Literal["milestone_overdue"] = "milestone_overdue"
    milestone_id: str
    due_date: date
    # 00:00 UTC the day after the due date, even when detected later (catch-up).
    overdue_since: AwareDatetime


class MilestoneEscalated(_Event):
    type: Literal["milestone_escalated"] = "milestone_escalated"
    milestone_id: str
    due_date: date
    overdue_since: AwareDatetime
    at: AwareDatetime
    recipient_roles: tuple[Role, ...] = (Role.HEAD_OF_ADMINISTRATION, Role.PROGRAMME_MANAGER)


Event = Annotated[
    PlanOpened
    | DiagnosticFindingRecorded
    | DiagnosticCompleted
    | MilestoneAdded
    | MilestoneRemoved
    | IndicatorDefined
    | IndicatorRemoved
    | PlanSubmitted
    | PlanApprovalGranted
    | PlanApproved
    | PlanChangesRequested
    | MilestoneProgressReported
    | MilestoneCompleted
    | MilestoneRescheduled
    | IndicatorMeasured
    | IndicatorTargetRevised
    | EvaluationStarted
    | KeyFactorRated
    | PlanClosed
    | PlanCancelled
    | ReminderSent
    | MilestoneOverdue
    | MilestoneEscalated,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)

EVENT_CLASSES: tuple[type[_Event], ...] = (
    PlanOpened,
    DiagnosticFindingRecorded,
    DiagnosticCompleted,
    MilestoneAdded,
    MilestoneRemoved,
    IndicatorDefined,
    IndicatorRemoved,
    PlanSubmitted,
    PlanApprovalGranted,
    PlanApproved,
    PlanChangesRequested,
    MilestoneProgressReported,
    MilestoneCompleted,
    MilestoneRescheduled,
    IndicatorMeasured,
    IndicatorTargetRevised,
    EvaluationStarted,
    KeyFactorRated,
    PlanClosed,
    PlanCancelled,
    ReminderSent,
    MilestoneOverdue,
    MilestoneEscalated,
)

EVENT_TYPES: tuple[str, ...] = tuple(c.model_fields["type"].default for c in EVENT_CLASSES)

# Events raised by time (actor "system"), not by a command.
TIME_EVENT_TYPES: frozenset[str] = frozenset(
    {"reminder_sent", "milestone_overdue", "milestone_escalated"}
)

SCHEMA_VERSION = 1
# Per event type; bump one entry (and add an upcaster in parse_event) when its data changes.
EVENT_SCHEMA_VERSIONS: dict[str, int] = dict.fromkeys(EVENT_TYPES, SCHEMA_VERSION)


def event_data(event: Event) -> dict[str, Any]:
    """The envelope's ``data``: JSON-mode dump without ``type`` (the envelope carries it)."""
    return event.model_dump(mode="json", exclude={"type"})


def parse_event(type: str, data: dict[str, Any]) -> Event:
    """Rebuild an event from the envelope's ``type`` and ``data``."""
    return EVENT_ADAPTER.validate_python({**data, "type": type})
