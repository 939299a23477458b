"""The commands that draft the results framework: outcomes, milestones and indicators, and
the one that revises an indicator's target once the plan runs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from domain.command_fields import (
    BaseCommand,
    ItemId,
    Number,
    OptionalText,
    PeriodTargets,
    PlanDate,
    Text,
    Title,
    Unit,
)
from domain.keyfactors import KeyFactor
from domain.roles import EDITORS, MANAGER
from domain.state import Phase, ReportingFrequency


class AddOutcome(BaseCommand):
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


class RemoveOutcome(BaseCommand):
    type: Literal["remove_outcome"] = "remove_outcome"
    roles = EDITORS
    phases = frozenset({Phase.DRAFTING})
    label = "remove an outcome"
    example = {"outcome_id": "O1"}
    outcome_id: ItemId


class AddMilestone(BaseCommand):
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


class RemoveMilestone(BaseCommand):
    type: Literal["remove_milestone"] = "remove_milestone"
    roles = EDITORS
    phases = frozenset({Phase.DRAFTING})
    label = "remove a milestone"
    example = {"milestone_id": "M1"}
    milestone_id: ItemId


class DefineIndicator(BaseCommand):
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


class RemoveIndicator(BaseCommand):
    type: Literal["remove_indicator"] = "remove_indicator"
    roles = EDITORS
    phases = frozenset({Phase.DRAFTING})
    label = "remove an indicator"
    example = {"indicator_id": "I1"}
    indicator_id: ItemId


class ReviseIndicatorTarget(BaseCommand):
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
