"""Commands: what a person asks the plan to do, each declared once, and their catalogue.

A command's class carries everything about it that is data: its fields (malformed input
fails at parse time, with pydantic's field-named error), who may send it (``roles``), in
which phases (``phases``), how a refusal names it (``label``) and an example body for the
API docs (``example``). The dashboard's form fields come from its JSON schema. The business
rules live in domain.decide, the folds of its events in domain.evolve.

The classes live by the part of the plan they act on (domain.commands_lifecycle,
domain.commands_results, domain.commands_records) and their field types in
domain.command_fields; this module is the one list of them all, the ``Command`` union,
from which every table keyed by a command's name is derived.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any

from pydantic import Field, TypeAdapter

# Re-exported: the field types that readers of commands (access, the API's bounds) name.
from domain.command_fields import DONOR_PATTERN as DONOR_PATTERN
from domain.command_fields import BaseCommand
from domain.command_fields import Country as Country
from domain.command_fields import DonorCode as DonorCode
from domain.command_fields import PeriodTargetInput as PeriodTargetInput
from domain.commands_lifecycle import (
    ApprovePlan,
    CancelPlan,
    ClosePlan,
    OpenPlan,
    RequestChanges,
    SetPlanDonors,
    StartEvaluation,
    SubmitForApproval,
)
from domain.commands_records import (
    CompleteDiagnostic,
    CompleteMilestone,
    RateKeyFactor,
    RecordDiagnosticFinding,
    RecordFinalAssessment,
    RecordMeasurement,
    ReportMilestoneProgress,
    RescheduleMilestone,
)
from domain.commands_results import (
    AddMilestone,
    AddOutcome,
    DefineIndicator,
    RemoveIndicator,
    RemoveMilestone,
    RemoveOutcome,
    ReviseIndicatorTarget,
)

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
COMMAND_CLASSES: tuple[type[BaseCommand], ...] = typing.get_args(typing.get_args(Command)[0])
COMMAND_BY_TYPE: dict[str, type[BaseCommand]] = {
    c.model_fields["type"].default: c for c in COMMAND_CLASSES
}
COMMAND_TYPES: tuple[str, ...] = tuple(COMMAND_BY_TYPE)


def parse_command(data: dict[str, Any]) -> Command:
    """Validate a JSON-like dict into its command model (pydantic ValidationError if malformed)."""
    return COMMAND_ADAPTER.validate_python(data)
