"""Commands: what a person asks the plan to do. Malformed input fails here, at parse time,
with pydantic's field-named error; business rules live in domain.decide."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

from domain.keyfactors import KeyFactor
from domain.state import RatingValue, ReminderPolicy

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
COUNTRY_PATTERN = r"^[A-Z]{3}$"

# What the event store can keep exactly (eventstore/_prepare.py refuses the rest): text
# without NUL (PostgreSQL's jsonb has no U+0000) and numbers within JSON's exact range.
EXACT_NUMBER_LIMIT = float(2**53)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain the NUL character (U+0000)")
    return value


NoNul = AfterValidator(_no_nul)


def _four_digit_year(value: date) -> date:
    # The plan id is <country>-<year of period_start>, e.g. GHA-2026: four digits.
    if value.year < 1000:
        raise ValueError("must be in year 1000 or later (the plan id carries a four-digit year)")
    return value


PeriodStart = Annotated[date, AfterValidator(_four_digit_year)]
ItemId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Country = Annotated[str, StringConstraints(pattern=COUNTRY_PATTERN)]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul
]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), NoNul
]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000), NoNul]
Unit = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), NoNul]
Number = Annotated[float, Field(allow_inf_nan=False, gt=-EXACT_NUMBER_LIMIT, lt=EXACT_NUMBER_LIMIT)]
Maturity = Annotated[int, Field(ge=1, le=5)]
Percent = Annotated[int, Field(ge=0, le=100)]


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: UUID | None = None
    expected_version: int | None = Field(default=None, ge=0)


class OpenPlan(_Command):
    type: Literal["open_plan"] = "open_plan"
    country: Country
    administration: Title
    title: Title
    period_start: PeriodStart
    period_end: date
    reminder_policy: ReminderPolicy = ReminderPolicy()

    @property
    def plan_id(self) -> str:
        return f"{self.country}-{self.period_start.year}"


class RecordDiagnosticFinding(_Command):
    type: Literal["record_diagnostic_finding"] = "record_diagnostic_finding"
    key_factor: KeyFactor
    maturity: Maturity
    summary: Text


class CompleteDiagnostic(_Command):
    type: Literal["complete_diagnostic"] = "complete_diagnostic"


class AddMilestone(_Command):
    type: Literal["add_milestone"] = "add_milestone"
    milestone_id: ItemId
    title: Title
    key_factor: KeyFactor
    due_date: date
    description: OptionalText = ""


class RemoveMilestone(_Command):
    type: Literal["remove_milestone"] = "remove_milestone"
    milestone_id: ItemId


class DefineIndicator(_Command):
    type: Literal["define_indicator"] = "define_indicator"
    indicator_id: ItemId
    name: Title
    key_factor: KeyFactor
    unit: Unit
    baseline: Number
    target: Number
    source: OptionalText = ""


class RemoveIndicator(_Command):
    type: Literal["remove_indicator"] = "remove_indicator"
    indicator_id: ItemId


class SubmitForApproval(_Command):
    type: Literal["submit_for_approval"] = "submit_for_approval"


class ApprovePlan(_Command):
    type: Literal["approve_plan"] = "approve_plan"
    comment: OptionalText = ""


class RequestChanges(_Command):
    type: Literal["request_changes"] = "request_changes"
    reason: Text


class ReportMilestoneProgress(_Command):
    type: Literal["report_milestone_progress"] = "report_milestone_progress"
    milestone_id: ItemId
    percent: Percent
    note: Text


class CompleteMilestone(_Command):
    type: Literal["complete_milestone"] = "complete_milestone"
    milestone_id: ItemId
    evidence: Text


class RescheduleMilestone(_Command):
    type: Literal["reschedule_milestone"] = "reschedule_milestone"
    milestone_id: ItemId
    new_due_date: date
    reason: Text


class RecordMeasurement(_Command):
    type: Literal["record_measurement"] = "record_measurement"
    indicator_id: ItemId
    value: Number
    measured_on: date
    source: OptionalText = ""


class ReviseIndicatorTarget(_Command):
    type: Literal["revise_indicator_target"] = "revise_indicator_target"
    indicator_id: ItemId
    new_target: Number
    reason: Text


class StartEvaluation(_Command):
    type: Literal["start_evaluation"] = "start_evaluation"


class RateKeyFactor(_Command):
    type: Literal["rate_key_factor"] = "rate_key_factor"
    key_factor: KeyFactor
    rating: RatingValue
    note: Text


class ClosePlan(_Command):
    type: Literal["close_plan"] = "close_plan"
    summary: Text


class CancelPlan(_Command):
    type: Literal["cancel_plan"] = "cancel_plan"
    reason: Text


Command = Annotated[
    OpenPlan
    | RecordDiagnosticFinding
    | CompleteDiagnostic
    | AddMilestone
    | RemoveMilestone
    | DefineIndicator
    | RemoveIndicator
    | SubmitForApproval
    | ApprovePlan
    | RequestChanges
    | ReportMilestoneProgress
    | CompleteMilestone
    | RescheduleMilestone
    | RecordMeasurement
    | ReviseIndicatorTarget
    | StartEvaluation
    | RateKeyFactor
    | ClosePlan
    | CancelPlan,
    Field(discriminator="type"),
]

COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)

COMMAND_CLASSES: tuple[type[_Command], ...] = (
    OpenPlan,
    RecordDiagnosticFinding,
    CompleteDiagnostic,
    AddMilestone,
    RemoveMilestone,
    DefineIndicator,
    RemoveIndicator,
    SubmitForApproval,
    ApprovePlan,
    RequestChanges,
    ReportMilestoneProgress,
    CompleteMilestone,
    RescheduleMilestone,
    RecordMeasurement,
    ReviseIndicatorTarget,
    StartEvaluation,
    RateKeyFactor,
    ClosePlan,
    CancelPlan,
)

COMMAND_TYPES: tuple[str, ...] = tuple(c.model_fields["type"].default for c in COMMAND_CLASSES)


def parse_command(data: dict[str, Any]) -> Command:
    """Validate a JSON-like dict into its command model (pydantic ValidationError if malformed)."""
    return COMMAND_ADAPTER.validate_python(data)
