"""Commands: what a person asks the plan to do, each declared once, here.

A command's class carries everything about it that is data: its fields (malformed input
fails at parse time, with pydantic's field-named error), who may send it (``roles``), in
which phases (``phases``), how a refusal names it (``label``) and an example body for the
API docs (``example``). The dashboard's form fields come from its JSON schema. The business
rules live in domain.decide, the folds of its events in domain.evolve.
"""

from __future__ import annotations

import typing
from datetime import date
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    TypeAdapter,
)

from domain.calendar import EARLIEST_DATE, LATEST_DATE
from domain.keyfactors import KeyFactor
from domain.roles import APPROVERS, EDITORS, MANAGER, Role
from domain.state import (
    TERMINAL_PHASES,
    IntegralNumber,
    Phase,
    RatingValue,
    ReminderPolicy,
    ReportingFrequency,
)

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


# What the schema says beyond the types, so that a body the OpenAPI document calls valid is
# refused only by a business rule (issue 18). The patterns restate checks made in code (the
# NUL character, text that is only whitespace, the calendar of domain.calendar) and do not
# replace them: the messages of those checks name the rule.
CALENDAR_DATE_PATTERN = (
    r"^(1[0-9]{3}|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|9990)-[0-9]{2}-[0-9]{2}$"
)
CALENDAR_DATE_DESCRIPTION = (
    f"ISO 8601 calendar date between {EARLIEST_DATE} and {LATEST_DATE}: the dates whose "
    "deadlines a plan can compute (outside them: 409 date_out_of_range)"
)
TEXT_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"  # not only whitespace, no NUL
NO_NUL_PATTERN = r"^[^\x00]*$"

PlanDate = Annotated[
    date,
    Field(
        description=CALENDAR_DATE_DESCRIPTION,
        json_schema_extra={"pattern": CALENDAR_DATE_PATTERN},
    ),
]
PeriodStart = Annotated[PlanDate, AfterValidator(_four_digit_year)]
ItemId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
# Only the shape here: whether the code is assigned is a rule of decide() (unknown_country),
# so commands and actors recorded in workflow histories before that rule still parse.
Country = Annotated[
    str,
    StringConstraints(pattern=COUNTRY_PATTERN),
    Field(
        description="An assigned ISO 3166-1 alpha-3 code, e.g. GHA (a made-up one: 409 "
        "unknown_country)"
    ),
]


TextPattern = Field(json_schema_extra={"pattern": TEXT_PATTERN})
DONOR_PATTERN = r"^[a-z][a-z0-9_]{1,31}$"
MAX_DONORS = 20
DonorCode = Annotated[str, StringConstraints(pattern=DONOR_PATTERN)]


def _distinct(donors: list[str]) -> list[str]:
    if len(set(donors)) != len(donors):
        raise ValueError("a donor is named twice")
    return donors


# The donors funding a plan, by code (e.g. norad, canada): a list without repeats.
Donors = Annotated[
    list[DonorCode],
    # uniqueItems: the schema states the no-repeat check, so a schema-valid body is valid.
    Field(
        max_length=MAX_DONORS,
        description="Donor codes, e.g. norad, canada",
        json_schema_extra={"uniqueItems": True},
    ),
    AfterValidator(_distinct),
]
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    NoNul,
    TextPattern,
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
    NoNul,
    TextPattern,
]
OptionalText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=4000),
    NoNul,
    Field(json_schema_extra={"pattern": NO_NUL_PATTERN}),
]
Unit = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=50),
    NoNul,
    TextPattern,
]
# Strict per field, not model-wide: a number is a JSON number (an integer is fine for a
# float), never "3" or true; dates and enums still parse from their JSON strings.
Number = Annotated[
    float, Strict(), Field(allow_inf_nan=False, gt=-EXACT_NUMBER_LIMIT, lt=EXACT_NUMBER_LIMIT)
]
Maturity = Annotated[int, Strict(), Field(ge=1, le=5), IntegralNumber]
Percent = Annotated[int, Strict(), Field(ge=0, le=100), IntegralNumber]
Version = Annotated[int, Strict(), Field(ge=0), IntegralNumber]


def _type_is_required(schema: dict[str, Any]) -> None:
    # "type" has a default (POST /plans may leave it out), but among all commands it is what
    # chooses one, and a body without it is refused: the schema says so as the parser does.
    required = schema.setdefault("required", [])
    if "type" not in required:
        required.insert(0, "type")


class PeriodTargetInput(BaseModel):
    """One point of a target path: the value the indicator should reach by ``due``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    due: PlanDate
    target: Number


# At most one a month over the longest plan (15 years): bounded input.
PeriodTargets = Annotated[list[PeriodTargetInput], Field(max_length=180)]


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_type_is_required)

    # The "who" and "phase" columns of DOMAIN.md, the verb phrase of refusal messages
    # ("may not <label>") and the body shown in OpenAPI's "Try it out".
    roles: ClassVar[frozenset[Role]]
    phases: ClassVar[frozenset[Phase]]
    label: ClassVar[str]
    example: ClassVar[dict[str, Any]]

    command_id: UUID | None = None
    expected_version: Version | None = None


class OpenPlan(_Command):
    type: Literal["open_plan"] = "open_plan"
    roles = MANAGER
    phases = frozenset()  # a new plan: no state yet
    label = "open a plan"
    example = {
        "country": "GHA",
        "administration": "Ghana Revenue Authority - Customs Division",
        "title": "Integrity action plan 2027-2029",
        "period_start": "2027-01-01",
        "period_end": "2029-12-31",
    }
    country: Country
    administration: Title
    title: Title
    period_start: PeriodStart
    period_end: PlanDate
    reminder_policy: ReminderPolicy = ReminderPolicy()
    donors: Donors = []

    @property
    def plan_id(self) -> str:
        return f"{self.country}-{self.period_start.year}"


class RecordDiagnosticFinding(_Command):
    type: Literal["record_diagnostic_finding"] = "record_diagnostic_finding"
    roles = EDITORS
    phases = frozenset({Phase.DIAGNOSTIC})
    label = "record a diagnostic finding"
    example = {
        "key_factor": "transparency",
        "maturity": 2,
        "summary": "Tariff rulings are not published",
    }
    key_factor: KeyFactor
    maturity: Maturity
    summary: Text


class CompleteDiagnostic(_Command):
    type: Literal["complete_diagnostic"] = "complete_diagnostic"
    roles = EDITORS
    phases = frozenset({Phase.DIAGNOSTIC})
    label = "complete the diagnostic"
    example = {}


class AddOutcome(_Command):
    type: Literal["add_outcome"] = "add_outcome"
    roles = EDITORS
    phases = frozenset({Phase.DRAFTING})
    label = "add an outcome"
    example = {
        "outcome_id": "O1",
        "title": "Integrity risks are managed",
        "key_factors": ["code_of_conduct"],
    }
    outcome_id: Annotated[ItemId, Field(description="e.g. O1")]
    title: Title
    key_factors: Annotated[list[KeyFactor], Field(min_length=1, max_length=10)]
    parent_id: Annotated[
        ItemId | None, Field(description="a general outcome, making this one specific")
    ] = None
    description: OptionalText = ""


class RemoveOutcome(_Command):
    type: Literal["remove_outcome"] = "remove_outcome"
    roles = EDITORS
    phases = frozenset({Phase.DRAFTING})
    label = "remove an outcome"
    example = {"outcome_id": "O1"}
    outcome_id: ItemId


class AddMilestone(_Command):
    type: Literal["add_milestone"] = "add_milestone"
    roles = EDITORS
    phases = frozenset({Phase.DRAFTING})
    label = "add a milestone"
    example = {
        "milestone_id": "M1",
        "title": "Publish the revised code of conduct",
        "key_factor": "code_of_conduct",
        "due_date": "2027-06-30",
        "description": "Adopted by the Commissioner and posted at every office",
    }
    milestone_id: Annotated[ItemId, Field(description="e.g. M5")]
    title: Title
    key_factor: KeyFactor
    due_date: PlanDate
    description: OptionalText = ""
    outcome_id: ItemId | None = None


class RemoveMilestone(_Command):
    type: Literal["remove_milestone"] = "remove_milestone"
    roles = EDITORS
    phases = frozenset({Phase.DRAFTING})
    label = "remove a milestone"
    example = {"milestone_id": "M1"}
    milestone_id: ItemId


class DefineIndicator(_Command):
    type: Literal["define_indicator"] = "define_indicator"
    roles = EDITORS
    phases = frozenset({Phase.DRAFTING})
    label = "define an indicator"
    example = {
        "indicator_id": "I1",
        "name": "Staff trained on the code of conduct",
        "key_factor": "code_of_conduct",
        "unit": "percent",
        "baseline": 10,
        "target": 90,
        "source": "HR training records",
    }
    indicator_id: Annotated[ItemId, Field(description="e.g. I4")]
    name: Title
    key_factor: KeyFactor
    unit: Annotated[Unit, Field(description="e.g. percent")]
    baseline: Number
    target: Number
    source: OptionalText = ""
    outcome_id: ItemId | None = None
    reporting_frequency: ReportingFrequency = ReportingFrequency.ANNUAL
    period_targets: PeriodTargets = []
    baseline_date: PlanDate | None = None


class RemoveIndicator(_Command):
    type: Literal["remove_indicator"] = "remove_indicator"
    roles = EDITORS
    phases = frozenset({Phase.DRAFTING})
    label = "remove an indicator"
    example = {"indicator_id": "I1"}
    indicator_id: ItemId


class SubmitForApproval(_Command):
    type: Literal["submit_for_approval"] = "submit_for_approval"
    roles = EDITORS
    phases = frozenset({Phase.DRAFTING})
    label = "submit the plan for approval"
    example = {}


class ApprovePlan(_Command):
    type: Literal["approve_plan"] = "approve_plan"
    roles = APPROVERS
    phases = frozenset({Phase.UNDER_REVIEW})
    label = "approve the plan"
    example = {"comment": "Agreed for the administration"}
    comment: OptionalText = ""


class RequestChanges(_Command):
    type: Literal["request_changes"] = "request_changes"
    roles = APPROVERS
    phases = frozenset({Phase.UNDER_REVIEW})
    label = "request changes to the plan"
    example = {"reason": "Add an indicator for automation"}
    reason: Text


class ReportMilestoneProgress(_Command):
    type: Literal["report_milestone_progress"] = "report_milestone_progress"
    roles = EDITORS
    phases = frozenset({Phase.IMPLEMENTATION})
    label = "report milestone progress"
    example = {
        "milestone_id": "M1",
        "percent": 50,
        "note": "Draft circulated to the unions",
    }
    milestone_id: ItemId
    percent: Percent
    note: Text


class CompleteMilestone(_Command):
    type: Literal["complete_milestone"] = "complete_milestone"
    roles = EDITORS
    phases = frozenset({Phase.IMPLEMENTATION})
    label = "complete a milestone"
    example = {
        "milestone_id": "M1",
        "evidence": "Circular 2027/14, signed",
    }
    milestone_id: ItemId
    evidence: Text


class RescheduleMilestone(_Command):
    type: Literal["reschedule_milestone"] = "reschedule_milestone"
    roles = MANAGER
    phases = frozenset({Phase.IMPLEMENTATION})
    label = "reschedule a milestone"
    example = {
        "milestone_id": "M1",
        "new_due_date": "2027-09-30",
        "reason": "Union consultation took longer",
    }
    milestone_id: ItemId
    new_due_date: PlanDate
    reason: Text


class RecordMeasurement(_Command):
    type: Literal["record_measurement"] = "record_measurement"
    roles = EDITORS
    phases = frozenset({Phase.IMPLEMENTATION, Phase.EVALUATION})
    label = "record a measurement"
    example = {
        "indicator_id": "I1",
        "value": 45,
        "measured_on": "2027-12-31",
        "source": "HR training records",
    }
    indicator_id: ItemId
    value: Number
    measured_on: PlanDate
    source: OptionalText = ""


class ReviseIndicatorTarget(_Command):
    type: Literal["revise_indicator_target"] = "revise_indicator_target"
    roles = MANAGER
    phases = frozenset({Phase.IMPLEMENTATION})
    label = "revise an indicator target"
    example = {
        "indicator_id": "I1",
        "new_target": 80,
        "reason": "Staff numbers grew by a third",
    }
    indicator_id: ItemId
    new_target: Number
    reason: Text
    new_period_targets: Annotated[
        PeriodTargets | None, Field(description="replaces the path; omitted: unchanged")
    ] = None


class StartEvaluation(_Command):
    type: Literal["start_evaluation"] = "start_evaluation"
    roles = MANAGER
    phases = frozenset({Phase.IMPLEMENTATION})
    label = "start the evaluation"
    example = {}


class RateKeyFactor(_Command):
    type: Literal["rate_key_factor"] = "rate_key_factor"
    roles = MANAGER
    phases = frozenset({Phase.EVALUATION})
    label = "rate a key factor"
    example = {
        "key_factor": "code_of_conduct",
        "rating": "achieved",
        "note": "Code adopted and trained",
    }
    key_factor: KeyFactor
    rating: RatingValue
    note: Text


class RecordFinalAssessment(_Command):
    type: Literal["record_final_assessment"] = "record_final_assessment"
    roles = EDITORS
    phases = frozenset({Phase.EVALUATION})
    label = "record a final assessment"
    example = {
        "key_factor": "transparency",
        "maturity": 4,
        "summary": "Rulings published within ten days",
    }
    key_factor: KeyFactor
    maturity: Maturity
    summary: Text


class ClosePlan(_Command):
    type: Literal["close_plan"] = "close_plan"
    roles = MANAGER
    phases = frozenset({Phase.EVALUATION})
    label = "close the plan"
    example = {"summary": "Plan delivered; see the evaluation report"}
    summary: Text


class CancelPlan(_Command):
    type: Literal["cancel_plan"] = "cancel_plan"
    roles = MANAGER
    phases = frozenset(Phase) - TERMINAL_PHASES  # any but closed, cancelled
    label = "cancel the plan"
    example = {"reason": "Superseded by the 2028 plan"}
    reason: Text


class SetPlanDonors(_Command):
    type: Literal["set_plan_donors"] = "set_plan_donors"
    roles = MANAGER
    phases = frozenset(Phase) - TERMINAL_PHASES
    label = "change the plan's donors"
    example = {"donors": ["norad", "canada"], "reason": "Canada co-funds from 2027"}
    donors: Donors
    reason: Text


Command = Annotated[
    OpenPlan
    | RecordDiagnosticFinding
    | CompleteDiagnostic
    | AddOutcome
    | RemoveOutcome
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
    | RecordFinalAssessment
    | ClosePlan
    | CancelPlan
    | SetPlanDonors,
    Field(discriminator="type"),
]

COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)

# Everything below is derived from the union, so a new command is declared in one place.
COMMAND_CLASSES: tuple[type[_Command], ...] = typing.get_args(typing.get_args(Command)[0])
COMMAND_BY_TYPE: dict[str, type[_Command]] = {
    c.model_fields["type"].default: c for c in COMMAND_CLASSES
}
COMMAND_TYPES: tuple[str, ...] = tuple(COMMAND_BY_TYPE)


def parse_command(data: dict[str, Any]) -> Command:
    """Validate a JSON-like dict into its command model (pydantic ValidationError if malformed)."""
    return COMMAND_ADAPTER.validate_python(data)
