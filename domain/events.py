"""Events: what happened to a plan, past tense. Self-contained: each carries everything
evolve() needs, including the instant when it matters, so a replay needs nothing else."""

from __future__ import annotations

import typing
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from domain.keyfactors import KeyFactor
from domain.roles import Role
from domain.state import PeriodTarget, RatingValue, ReminderPolicy, ReportingFrequency
from domain.upcasters import upcast


class _Event(BaseModel):
    """Every event has ``at``, the business instant it happened (from the workflow's clock);
    an event a person caused has ``actor``, their name. (The envelope's ``recorded_at`` is
    the database's time, a different idea.) Event models stay lax: they read what is stored.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Bump it (and register an upcaster in domain.upcasters) when the data's shape changes.
    schema_version: ClassVar[int] = 1


class PlanOpened(_Event):
    type: Literal["plan_opened"] = "plan_opened"
    # v1 named the actor and instant differently; v2 had no donors
    schema_version = 3
    plan_id: str
    country: str
    administration: str
    title: str
    period_start: date
    period_end: date
    reminder_policy: ReminderPolicy = ReminderPolicy()
    donors: list[str] = Field(default_factory=list)
    actor: str
    at: AwareDatetime


class DiagnosticFindingRecorded(_Event):
    type: Literal["diagnostic_finding_recorded"] = "diagnostic_finding_recorded"
    schema_version = 2  # v1 named the actor and instant differently
    key_factor: KeyFactor
    maturity: int
    summary: str
    actor: str
    at: AwareDatetime


class DiagnosticCompleted(_Event):
    type: Literal["diagnostic_completed"] = "diagnostic_completed"
    schema_version = 2  # v1 named the actor and instant differently
    actor: str
    at: AwareDatetime


class OutcomeAdded(_Event):
    type: Literal["outcome_added"] = "outcome_added"
    outcome_id: str
    title: str
    key_factors: list[KeyFactor]
    parent_id: str | None = None
    description: str = ""
    actor: str
    at: AwareDatetime


class OutcomeRemoved(_Event):
    type: Literal["outcome_removed"] = "outcome_removed"
    outcome_id: str
    actor: str
    at: AwareDatetime


class MilestoneAdded(_Event):
    type: Literal["milestone_added"] = "milestone_added"
    schema_version = 2  # v1 named the actor and instant differently
    milestone_id: str
    title: str
    key_factor: KeyFactor
    due_date: date
    description: str = ""
    outcome_id: str | None = None
    actor: str
    at: AwareDatetime


class MilestoneRemoved(_Event):
    type: Literal["milestone_removed"] = "milestone_removed"
    schema_version = 2  # v1 named the actor and instant differently
    milestone_id: str
    actor: str
    at: AwareDatetime


class IndicatorDefined(_Event):
    type: Literal["indicator_defined"] = "indicator_defined"
    # v1 named the actor and instant differently; v3 adds the results framework's fields
    # (an older indicator is annual, flat, in no outcome: domain.upcasters).
    schema_version = 3
    indicator_id: str
    name: str
    key_factor: KeyFactor
    unit: str
    baseline: float
    target: float
    source: str = ""
    outcome_id: str | None = None
    reporting_frequency: ReportingFrequency = ReportingFrequency.ANNUAL
    period_targets: list[PeriodTarget] = Field(default_factory=list)
    baseline_date: date | None = None
    actor: str
    at: AwareDatetime


class IndicatorRemoved(_Event):
    type: Literal["indicator_removed"] = "indicator_removed"
    schema_version = 2  # v1 named the actor and instant differently
    indicator_id: str
    actor: str
    at: AwareDatetime


class PlanSubmitted(_Event):
    type: Literal["plan_submitted"] = "plan_submitted"
    schema_version = 2  # v1 named the actor and instant differently
    actor: str
    at: AwareDatetime


class PlanApprovalGranted(_Event):
    type: Literal["plan_approval_granted"] = "plan_approval_granted"
    schema_version = 2  # v1 named the actor and instant differently
    actor: str
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
    schema_version = 2  # v1 named the actor and instant differently
    actor: str
    role: Role
    reason: str
    at: AwareDatetime


class MilestoneProgressReported(_Event):
    type: Literal["milestone_progress_reported"] = "milestone_progress_reported"
    schema_version = 2  # v1 named the actor and instant differently
    milestone_id: str
    percent: int
    note: str
    actor: str
    at: AwareDatetime


class MilestoneCompleted(_Event):
    type: Literal["milestone_completed"] = "milestone_completed"
    schema_version = 2  # v1 named the actor and instant differently
    milestone_id: str
    evidence: str
    actor: str
    at: AwareDatetime


class MilestoneRescheduled(_Event):
    type: Literal["milestone_rescheduled"] = "milestone_rescheduled"
    schema_version = 2  # v1 named the actor and instant differently
    milestone_id: str
    previous_due_date: date
    new_due_date: date
    reason: str
    actor: str
    at: AwareDatetime


class IndicatorMeasured(_Event):
    type: Literal["indicator_measured"] = "indicator_measured"
    schema_version = 2  # v1 named the actor and instant differently
    indicator_id: str
    value: float
    measured_on: date
    source: str = ""
    actor: str
    at: AwareDatetime


class IndicatorTargetRevised(_Event):
    type: Literal["indicator_target_revised"] = "indicator_target_revised"
    schema_version = 2  # v1 named the actor and instant differently
    indicator_id: str
    previous_target: float
    new_target: float
    reason: str
    # None: the path was left as it was (always so before period targets existed).
    previous_period_targets: list[PeriodTarget] | None = None
    new_period_targets: list[PeriodTarget] | None = None
    actor: str
    at: AwareDatetime


class EvaluationStarted(_Event):
    type: Literal["evaluation_started"] = "evaluation_started"
    schema_version = 2  # v1 named the actor and instant differently
    actor: str  # "system" when raised by time at the end of the period
    at: AwareDatetime


class KeyFactorRated(_Event):
    type: Literal["key_factor_rated"] = "key_factor_rated"
    schema_version = 2  # v1 named the actor and instant differently
    key_factor: KeyFactor
    rating: RatingValue
    note: str
    actor: str
    at: AwareDatetime


class FinalAssessmentRecorded(_Event):
    type: Literal["final_assessment_recorded"] = "final_assessment_recorded"
    key_factor: KeyFactor
    maturity: int
    summary: str
    actor: str
    at: AwareDatetime


class PlanClosed(_Event):
    type: Literal["plan_closed"] = "plan_closed"
    schema_version = 2  # v1 named the actor and instant differently
    summary: str
    actor: str
    at: AwareDatetime


class PlanCancelled(_Event):
    type: Literal["plan_cancelled"] = "plan_cancelled"
    schema_version = 2  # v1 named the actor and instant differently
    reason: str
    actor: str
    at: AwareDatetime


class PlanDonorsChanged(_Event):
    type: Literal["plan_donors_changed"] = "plan_donors_changed"
    donors: list[str]
    previous: list[str]
    reason: str
    actor: str
    at: AwareDatetime


class ReminderSent(_Event):
    """A reminder about a milestone (due_soon, overdue) or an indicator (measurement_due:
    ``due_date`` is then the end of the reporting period left unmeasured)."""

    type: Literal["reminder_sent"] = "reminder_sent"
    schema_version = 2  # v2 names milestone_id and indicator_id, one of them None
    milestone_id: str | None = None
    indicator_id: str | None = None
    kind: Literal["due_soon", "overdue", "measurement_due"]
    due_date: date
    at: AwareDatetime
    # Reminders go to the country's focal points (DOMAIN.md).
    recipient_roles: tuple[Role, ...] = (Role.FOCAL_POINT,)


class MilestoneOverdue(_Event):
    type: Literal["milestone_overdue"] = "milestone_overdue"
    schema_version = 2  # v1 named the actor and instant differently
    milestone_id: str
    due_date: date
    # 00:00 UTC the day after the due date, even when detected later (catch-up, ``at``).
    overdue_since: AwareDatetime
    at: AwareDatetime


class MilestoneEscalated(_Event):
    type: Literal["milestone_escalated"] = "milestone_escalated"
    milestone_id: str
    due_date: date
    overdue_since: AwareDatetime
    at: AwareDatetime
    recipient_roles: tuple[Role, ...] = (Role.HEAD_OF_ADMINISTRATION, Role.PROGRAMME_MANAGER)


class MeasurementDue(_Event):
    """A reporting period ended, and its grace days passed, without a measurement dated
    inside it. Raised once per period; a catch-up raises one for the latest missed period
    and counts the missed ones (``missed_periods``, 1 when on time)."""

    type: Literal["measurement_due"] = "measurement_due"
    indicator_id: str
    period_starts: date
    period_ends: date
    missed_periods: int = 1
    at: AwareDatetime


Event = Annotated[
    PlanOpened
    | DiagnosticFindingRecorded
    | DiagnosticCompleted
    | OutcomeAdded
    | OutcomeRemoved
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
    | FinalAssessmentRecorded
    | PlanClosed
    | PlanCancelled
    | ReminderSent
    | MilestoneOverdue
    | MilestoneEscalated
    | MeasurementDue
    | PlanDonorsChanged,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)

# Derived from the union, so a new event is declared in one place.
EVENT_CLASSES: tuple[type[_Event], ...] = typing.get_args(typing.get_args(Event)[0])
EVENT_BY_TYPE: dict[str, type[_Event]] = {c.model_fields["type"].default: c for c in EVENT_CLASSES}
EVENT_TYPES: tuple[str, ...] = tuple(EVENT_BY_TYPE)

# Events raised by time (actor "system"), not by a command.
TIME_EVENT_TYPES: frozenset[str] = frozenset(
    {"reminder_sent", "milestone_overdue", "milestone_escalated", "measurement_due"}
)

# The first schema version of every event; events whose shape changed declare a later one.
SCHEMA_VERSION = 1
# The schema version new events of each type are written with (what the class declares).
EVENT_SCHEMA_VERSIONS: dict[str, int] = {
    name: c.schema_version for name, c in EVENT_BY_TYPE.items()
}


def event_data(event: Event) -> dict[str, Any]:
    """The envelope's ``data``: JSON-mode dump without ``type`` (the envelope carries it)."""
    return event.model_dump(mode="json", exclude={"type"})


def envelope_fields(event: Event) -> dict[str, Any]:
    """What the envelope says of ``event`` itself: its ``type``, the ``schema_version`` its
    class writes and its ``data``; the writer adds the id, metadata and instant."""
    return {
        "type": event.type,
        "schema_version": EVENT_SCHEMA_VERSIONS.get(event.type, 1),
        "data": event_data(event),
    }


def parse_event(type: str, data: dict[str, Any], schema_version: int | None = None) -> Event:
    """Rebuild an event from the envelope's ``type``, ``data`` and ``schema_version``.

    Data of an older schema version is upcast first (domain.upcasters); None means the data
    is already in the current shape (e.g. read through a store that upcasts)."""
    if schema_version is not None:
        data = upcast(type, schema_version, data)
    return EVENT_ADAPTER.validate_python({**data, "type": type})


def parse_current_event_json(type: str, data_json: str | bytes) -> Event:
    """``parse_event(type, json.loads(data_json))`` for data already in the current schema
    version of ``type``: pydantic reads the JSON text itself, with no Python dict in
    between and no discriminated union to pick through (about 3x faster; a rebuild's
    hot path). tests/unit/test_domain_fastpaths.py holds both equal."""
    try:
        validate_json = _VALIDATE_JSON[type]
    except KeyError:
        raise ValueError(f"unknown event type {type!r}") from None
    event: Event = validate_json(data_json)
    return event


# What each class's model_validate_json calls, without the classmethod around it (its
# defaults are the validator's own): one call less per event of a rebuild.
_VALIDATE_JSON: dict[str, Callable[[str | bytes], Any]] = {
    name: model.__pydantic_validator__.validate_json for name, model in EVENT_BY_TYPE.items()
}
