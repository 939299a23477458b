"""The state of one action plan, as folded from its events by domain.evolve.

Treat every model here as immutable: evolve() returns copies (model_copy with new dicts);
only a rebuild's fold, which alone holds its states, has them changed in place
(evolve_owned).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, Strict

from domain.keyfactors import KeyFactor
from domain.roles import Role
from domain.vocabulary import Vocabulary


class Phase(Vocabulary):
    DIAGNOSTIC = "diagnostic"
    DRAFTING = "drafting"
    UNDER_REVIEW = "under_review"
    IMPLEMENTATION = "implementation"
    EVALUATION = "evaluation"
    CLOSED = "closed"
    CANCELLED = "cancelled"


TERMINAL_PHASES: frozenset[Phase] = frozenset({Phase.CLOSED, Phase.CANCELLED})


class RatingValue(StrEnum):
    """Final evaluation of a key factor (rate_key_factor)."""

    ACHIEVED = "achieved"
    PARTIALLY_ACHIEVED = "partially_achieved"
    NOT_ACHIEVED = "not_achieved"


MilestoneStatus = Literal["pending", "in_progress", "completed"]


def _integral_number(value: object) -> object:
    # JSON has one kind of number: 7.0 is the integer 7 (JSON Schema's "integer" agrees, so
    # a client's serialiser may write it so), while "7" and true are not numbers at all.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Last in an Annotated[int, Strict(), Field(...)], so that it runs first (7.0 becomes 7,
# then Strict() refuses the rest) and the bounds stay plain minimum/maximum in the schema.
IntegralNumber = BeforeValidator(_integral_number)


class ReportingFrequency(StrEnum):
    """How often an indicator is measured; its reporting periods run from period_start."""

    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"
    BIENNIAL = "biennial"  # as the Customs Integrity Perception Survey runs

    @property
    def months(self) -> int:
        return {"quarterly": 3, "semiannual": 6, "annual": 12, "biennial": 24}[self.value]


# A JSON integer (never "7" or true), at most a year: every offset a timer adds to a date of
# the plan stays inside the calendar (domain.calendar).
MAX_POLICY_DAYS = 365
Days = Annotated[int, Strict(), Field(ge=1, le=MAX_POLICY_DAYS), IntegralNumber]


class ReminderPolicy(BaseModel):
    """When time raises reminders and escalations; fixed at plan_opened so replays agree."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    due_soon_days: Days = 7
    repeat_every_days: Days = 7
    escalate_after_days: Days = 14
    # How long after a reporting period ends a missing measurement is called for
    # (measurement_due); added with the results framework, so older plans read the default.
    measurement_grace_days: Days = 30


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Finding(_Frozen):
    key_factor: KeyFactor
    maturity: int
    summary: str
    recorded_by: str
    recorded_at: AwareDatetime


class Approval(_Frozen):
    name: str
    role: Role
    comment: str = ""
    at: AwareDatetime


class Measurement(_Frozen):
    value: float
    measured_on: date
    source: str = ""
    recorded_at: AwareDatetime
    recorded_by: str = ""


class Rating(_Frozen):
    key_factor: KeyFactor
    rating: RatingValue
    note: str
    by: str
    at: AwareDatetime


class PeriodTarget(_Frozen):
    """A point on an indicator's target path: the value expected by ``due``."""

    due: date
    target: float


class OutcomeState(_Frozen):
    """A general outcome (no parent) or a specific one under a general outcome."""

    outcome_id: str
    title: str
    key_factors: list[KeyFactor]
    parent_id: str | None = None
    description: str = ""


class MilestoneState(_Frozen):
    milestone_id: str
    title: str
    key_factor: KeyFactor
    outcome_id: str | None = None
    description: str = ""
    due_date: date
    original_due_date: date
    percent: int = 0
    status: MilestoneStatus = "pending"
    last_note: str = ""
    completed_at: AwareDatetime | None = None
    completed_by: str | None = None
    evidence: str | None = None
    # Time-rule bookkeeping (domain.timers). Reset by a reschedule, see docs/lifecycle.md.
    overdue_since: AwareDatetime | None = None
    due_soon_sent: bool = False
    last_overdue_reminder_at: AwareDatetime | None = None
    escalated: bool = False
    # Cumulative over the milestone's life (not reset by a reschedule): an audit count.
    reminders_sent: int = 0
    times_rescheduled: int = 0

    @property
    def is_overdue(self) -> bool:
        return self.overdue_since is not None and self.status != "completed"


class IndicatorFigures(_Frozen):
    """What names an indicator and sets its scale: shared by its state and its benchmark."""

    indicator_id: str
    name: str
    key_factor: KeyFactor
    unit: str
    baseline: float
    target: float
    original_target: float


class IndicatorState(IndicatorFigures):
    source: str = ""
    measurements: list[Measurement] = Field(default_factory=list)
    outcome_id: str | None = None
    reporting_frequency: ReportingFrequency = ReportingFrequency.ANNUAL
    baseline_date: date | None = None
    period_targets: list[PeriodTarget] = Field(default_factory=list)
    original_period_targets: list[PeriodTarget] = Field(default_factory=list)
    # measurement_due bookkeeping (domain.timers): the end of the latest reporting period
    # already called for (or caught up over); earlier periods are never called for again.
    measurement_due_through: date | None = None
    measurements_due_sent: int = 0


class PlanState(_Frozen):
    plan_id: str
    country: str
    administration: str
    title: str
    period_start: date
    period_end: date
    reminder_policy: ReminderPolicy = ReminderPolicy()
    # Donor codes (e.g. norad, canada) funding the plan, in the order the manager gave them.
    donors: list[str] = Field(default_factory=list)
    phase: Phase = Phase.DIAGNOSTIC
    version: int = 0
    opened_by: str
    opened_at: AwareDatetime
    last_changed_at: AwareDatetime
    findings: dict[KeyFactor, Finding] = Field(default_factory=dict)
    # Maturity per key factor at the end (record_final_assessment), beside the diagnostic's.
    final_assessments: dict[KeyFactor, Finding] = Field(default_factory=dict)
    outcomes: dict[str, OutcomeState] = Field(default_factory=dict)
    diagnostic_completed_at: AwareDatetime | None = None
    milestones: dict[str, MilestoneState] = Field(default_factory=dict)
    indicators: dict[str, IndicatorState] = Field(default_factory=dict)
    submitted_by: str | None = None
    submitted_at: AwareDatetime | None = None
    # Approvals of the current submission only; request_changes clears them.
    approvals: list[Approval] = Field(default_factory=list)
    changes_requested_reason: str | None = None
    ratings: dict[KeyFactor, Rating] = Field(default_factory=dict)
    approved_at: AwareDatetime | None = None
    evaluation_started_at: AwareDatetime | None = None
    evaluation_started_by: str | None = None
    closed_at: AwareDatetime | None = None
    closing_summary: str | None = None
    cancelled_at: AwareDatetime | None = None
    cancel_reason: str | None = None

    @property
    def stream_id(self) -> str:
        return f"plan-{self.plan_id}"

    def covered_key_factors(self) -> set[KeyFactor]:
        """Key factors with at least one milestone or indicator (close_plan needs their ratings)."""
        return {m.key_factor for m in self.milestones.values()} | {
            i.key_factor for i in self.indicators.values()
        }
