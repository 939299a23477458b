"""The commands that move a plan through its phases: open, submit, approve or send back,
evaluate, close, cancel, and the donors funding it."""

from __future__ import annotations

from typing import Literal

from domain.command_fields import (
    BaseCommand,
    Country,
    Donors,
    OptionalText,
    PeriodStart,
    PlanDate,
    Text,
    Title,
)
from domain.roles import APPROVERS, EDITORS, MANAGER
from domain.state import TERMINAL_PHASES, Phase, ReminderPolicy


class OpenPlan(BaseCommand):
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


class SubmitForApproval(BaseCommand):
    type: Literal["submit_for_approval"] = "submit_for_approval"
    roles = EDITORS
    phases = frozenset({Phase.DRAFTING})
    label = "submit the plan for approval"
    example = {}


class ApprovePlan(BaseCommand):
    type: Literal["approve_plan"] = "approve_plan"
    roles = APPROVERS
    phases = frozenset({Phase.UNDER_REVIEW})
    label = "approve the plan"
    example = {"comment": "Agreed for the administration"}
    comment: OptionalText = ""


class RequestChanges(BaseCommand):
    type: Literal["request_changes"] = "request_changes"
    roles = APPROVERS
    phases = frozenset({Phase.UNDER_REVIEW})
    label = "request changes to the plan"
    example = {"reason": "Add an indicator for automation"}
    reason: Text


class StartEvaluation(BaseCommand):
    type: Literal["start_evaluation"] = "start_evaluation"
    roles = MANAGER
    phases = frozenset({Phase.IMPLEMENTATION})
    label = "start the evaluation"
    example = {}


class ClosePlan(BaseCommand):
    type: Literal["close_plan"] = "close_plan"
    roles = MANAGER
    phases = frozenset({Phase.EVALUATION})
    label = "close the plan"
    example = {"summary": "Plan delivered; see the evaluation report"}
    summary: Text


class CancelPlan(BaseCommand):
    type: Literal["cancel_plan"] = "cancel_plan"
    roles = MANAGER
    phases = frozenset(Phase) - TERMINAL_PHASES  # any but closed, cancelled
    label = "cancel the plan"
    example = {"reason": "Superseded by the 2028 plan"}
    reason: Text


class SetPlanDonors(BaseCommand):
    type: Literal["set_plan_donors"] = "set_plan_donors"
    roles = MANAGER
    phases = frozenset(Phase) - TERMINAL_PHASES
    label = "change the plan's donors"
    example = {"donors": ["norad", "canada"], "reason": "Canada co-funds from 2027"}
    donors: Donors
    reason: Text
