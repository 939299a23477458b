"""One human sentence per event, for the audit trail."""

from __future__ import annotations

from datetime import datetime

from domain.events import (
    DiagnosticCompleted,
    DiagnosticFindingRecorded,
    EvaluationStarted,
    Event,
    IndicatorDefined,
    IndicatorMeasured,
    IndicatorRemoved,
    IndicatorTargetRevised,
    KeyFactorRated,
    MilestoneAdded,
    MilestoneCompleted,
    MilestoneEscalated,
    MilestoneOverdue,
    MilestoneProgressReported,
    MilestoneRemoved,
    MilestoneRescheduled,
    PlanApprovalGranted,
    PlanApproved,
    PlanCancelled,
    PlanChangesRequested,
    PlanClosed,
    PlanOpened,
    PlanSubmitted,
    ReminderSent,
)


def _num(x: float) -> str:
    return f"{x:g}"


def _day(t: datetime) -> str:
    return t.date().isoformat()


def _quote(reason: str) -> str:
    """Free text closes the sentence: keep its own final punctuation, else add a period."""
    return reason if reason.endswith((".", "!", "?")) else f"{reason}."


def describe(event: Event, actor_name: str | None = None) -> str:
    """E.g. "Ama Mensah approved the plan as head of administration.". ``actor_name``
    (from the envelope metadata) overrides the name carried in the event."""

    def who(name: str) -> str:
        return actor_name or name

    match event:
        case PlanOpened():
            return (
                f"{who(event.actor)} opened plan {event.plan_id} for {event.administration} "
                f"({event.period_start} to {event.period_end})."
            )
        case DiagnosticFindingRecorded():
            return (
                f"{who(event.actor)} recorded a diagnostic finding for "
                f"{event.key_factor.label} with maturity {event.maturity} of 5."
            )
        case DiagnosticCompleted():
            return f"{who(event.actor)} completed the diagnostic; the plan is now being drafted."
        case MilestoneAdded():
            return (
                f'{who(event.actor)} added milestone {event.milestone_id} "{event.title}" '
                f"due on {event.due_date}."
            )
        case MilestoneRemoved():
            return f"{who(event.actor)} removed milestone {event.milestone_id}."
        case IndicatorDefined():
            return (
                f'{who(event.actor)} defined indicator {event.indicator_id} "{event.name}" '
                f"from {_num(event.baseline)} to {_num(event.target)} {event.unit}."
            )
        case IndicatorRemoved():
            return f"{who(event.actor)} removed indicator {event.indicator_id}."
        case PlanSubmitted():
            return f"{who(event.actor)} submitted the plan for approval."
        case PlanApprovalGranted():
            return f"{who(event.actor)} approved the plan as {event.role.label}."
        case PlanApproved():
            return "The plan was approved by both roles and entered implementation."
        case PlanChangesRequested():
            return f"{who(event.actor)} requested changes to the plan: {_quote(event.reason)}"
        case MilestoneProgressReported():
            return (
                f"{who(event.actor)} reported milestone {event.milestone_id} {event.percent}% done."
            )
        case MilestoneCompleted():
            return f"{who(event.actor)} completed milestone {event.milestone_id}."
        case MilestoneRescheduled():
            return (
                f"{who(event.actor)} rescheduled milestone {event.milestone_id} from "
                f"{event.previous_due_date} to {event.new_due_date}."
            )
        case IndicatorMeasured():
            return (
                f"{who(event.actor)} recorded {_num(event.value)} for indicator "
                f"{event.indicator_id}, measured on {event.measured_on}."
            )
        case IndicatorTargetRevised():
            return (
                f"{who(event.actor)} revised the target of indicator {event.indicator_id} from "
                f"{_num(event.previous_target)} to {_num(event.new_target)}."
            )
        case EvaluationStarted():
            if event.actor == "system" and actor_name in (None, "system"):
                return "The plan period ended and the evaluation started."
            return f"{who(event.actor)} started the evaluation."
        case KeyFactorRated():
            return (
                f"{who(event.actor)} rated {event.key_factor.label} as "
                f"{event.rating.value.replace('_', ' ')}."
            )
        case PlanClosed():
            return f"{who(event.actor)} closed the plan."
        case PlanCancelled():
            return f"{who(event.actor)} cancelled the plan: {_quote(event.reason)}"
        case ReminderSent():
            if event.kind == "due_soon":
                return (
                    f"A reminder was sent that milestone {event.milestone_id} is due on "
                    f"{event.due_date}."
                )
            return (
                f"A reminder was sent that milestone {event.milestone_id}, due on "
                f"{event.due_date}, is overdue."
            )
        case MilestoneOverdue():
            return f"Milestone {event.milestone_id}, due on {event.due_date}, became overdue."
        case MilestoneEscalated():
            return (
                f"Milestone {event.milestone_id}, overdue since {_day(event.overdue_since)}, "
                f"was escalated to the head of administration and programme managers."
            )
        case _:
            return f"{event.type.replace('_', ' ').capitalize()}."
