"""The commands that record what was found and done: the diagnostic's findings, milestone
progress, measurements, the evaluation's ratings and final assessments."""

from __future__ import annotations

from typing import Literal

from domain.command_fields import (
    BaseCommand,
    ItemId,
    Maturity,
    Number,
    OptionalText,
    Percent,
    PlanDate,
    Text,
)
from domain.keyfactors import KeyFactor
from domain.roles import EDITORS, MANAGER
from domain.state import Phase, RatingValue


class RecordDiagnosticFinding(BaseCommand):
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


class CompleteDiagnostic(BaseCommand):
    type: Literal["complete_diagnostic"] = "complete_diagnostic"
    roles = EDITORS
    phases = frozenset({Phase.DIAGNOSTIC})
    label = "complete the diagnostic"
    example = {}


class ReportMilestoneProgress(BaseCommand):
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


class CompleteMilestone(BaseCommand):
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


class RescheduleMilestone(BaseCommand):
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


class RecordMeasurement(BaseCommand):
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


class RateKeyFactor(BaseCommand):
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


class RecordFinalAssessment(BaseCommand):
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
