"""One human sentence per event, for the audit trail.

``sentence`` returns the sentence as a message (a template with ``{named}`` places) and
its values, so the presentation edge (locales.describe) can translate the template and
format the values for the reader; ``describe`` fills it in English. The values keep their
types (key factor, role, date, number) until then; free text people wrote (titles,
reasons) is passed through as written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from domain import events as ev
from domain.events import Event
from domain.keyfactors import KeyFactor
from domain.roles import Role
from domain.state import RatingValue


class Sentence(NamedTuple):
    """A message id (English, the gettext convention) and the values of its places."""

    template: str
    values: dict[str, Any]


def _quote(reason: str) -> str:
    """Free text closes the sentence: keep its own final punctuation, else add a period."""
    return reason if reason.endswith((".", "!", "?")) else f"{reason}."


def english(value: Any) -> str:
    """A value as the English sentence shows it."""
    if isinstance(value, KeyFactor | Role):
        return value.label
    if isinstance(value, RatingValue):
        return value.value.replace("_", " ")
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def describe(event: Event, actor_name: str | None = None) -> str:
    """E.g. "Ama Mensah approved the plan as head of administration.". ``actor_name``
    (from the envelope metadata) overrides the name carried in the event."""
    template, values = sentence(event, actor_name)
    return template.format(**{name: english(value) for name, value in values.items()})


def sentence(event: Event, actor_name: str | None = None) -> Sentence:
    """The description of ``event`` as a message and its values (see the module's doc)."""
    who = actor_name or getattr(event, "actor", "")

    match event:
        case ev.PlanOpened():
            return Sentence(
                "{actor} opened plan {plan_id} for {administration} ({start} to {end}).",
                {
                    "actor": who,
                    "plan_id": event.plan_id,
                    "administration": event.administration,
                    "start": event.period_start,
                    "end": event.period_end,
                },
            )
        case ev.DiagnosticFindingRecorded():
            return Sentence(
                "{actor} recorded a diagnostic finding for {key_factor} with maturity "
                "{maturity} of 5.",
                {"actor": who, "key_factor": event.key_factor, "maturity": event.maturity},
            )
        case ev.DiagnosticCompleted():
            return Sentence(
                "{actor} completed the diagnostic; the plan is now being drafted.",
                {"actor": who},
            )
        case ev.OutcomeAdded():
            if event.parent_id:
                return Sentence(
                    '{actor} added specific outcome {outcome_id} "{title}" under {parent_id}.',
                    {
                        "actor": who,
                        "outcome_id": event.outcome_id,
                        "title": event.title,
                        "parent_id": event.parent_id,
                    },
                )
            return Sentence(
                '{actor} added general outcome {outcome_id} "{title}".',
                {"actor": who, "outcome_id": event.outcome_id, "title": event.title},
            )
        case ev.OutcomeRemoved():
            return Sentence(
                "{actor} removed outcome {outcome_id}.",
                {"actor": who, "outcome_id": event.outcome_id},
            )
        case ev.MilestoneAdded():
            return Sentence(
                '{actor} added milestone {milestone_id} "{title}" due on {due_date}.',
                {
                    "actor": who,
                    "milestone_id": event.milestone_id,
                    "title": event.title,
                    "due_date": event.due_date,
                },
            )
        case ev.MilestoneRemoved():
            return Sentence(
                "{actor} removed milestone {milestone_id}.",
                {"actor": who, "milestone_id": event.milestone_id},
            )
        case ev.IndicatorDefined():
            return Sentence(
                '{actor} defined indicator {indicator_id} "{name}" from {baseline} to '
                "{target} {unit}.",
                {
                    "actor": who,
                    "indicator_id": event.indicator_id,
                    "name": event.name,
                    "baseline": float(event.baseline),
                    "target": float(event.target),
                    "unit": event.unit,
                },
            )
        case ev.IndicatorRemoved():
            return Sentence(
                "{actor} removed indicator {indicator_id}.",
                {"actor": who, "indicator_id": event.indicator_id},
            )
        case ev.PlanSubmitted():
            return Sentence("{actor} submitted the plan for approval.", {"actor": who})
        case ev.PlanApprovalGranted():
            return Sentence(
                "{actor} approved the plan as {role}.", {"actor": who, "role": event.role}
            )
        case ev.PlanApproved():
            return Sentence("The plan was approved by both roles and entered implementation.", {})
        case ev.PlanChangesRequested():
            return Sentence(
                "{actor} requested changes to the plan: {reason}",
                {"actor": who, "reason": _quote(event.reason)},
            )
        case ev.MilestoneProgressReported():
            return Sentence(
                "{actor} reported milestone {milestone_id} {percent}% done: {note}",
                {
                    "actor": who,
                    "milestone_id": event.milestone_id,
                    "percent": event.percent,
                    "note": _quote(event.note),
                },
            )
        case ev.MilestoneCompleted():
            return Sentence(
                "{actor} completed milestone {milestone_id}; evidence: {evidence}",
                {
                    "actor": who,
                    "milestone_id": event.milestone_id,
                    "evidence": _quote(event.evidence),
                },
            )
        case ev.MilestoneRescheduled():
            return Sentence(
                "{actor} rescheduled milestone {milestone_id} from {previous} to {new}: {reason}",
                {
                    "actor": who,
                    "milestone_id": event.milestone_id,
                    "previous": event.previous_due_date,
                    "new": event.new_due_date,
                    "reason": _quote(event.reason),
                },
            )
        case ev.IndicatorMeasured():
            return Sentence(
                "{actor} recorded {value} for indicator {indicator_id}, measured on {measured_on}.",
                {
                    "actor": who,
                    "value": float(event.value),
                    "indicator_id": event.indicator_id,
                    "measured_on": event.measured_on,
                },
            )
        case ev.IndicatorTargetRevised():
            revised = {
                "actor": who,
                "indicator_id": event.indicator_id,
                "previous": float(event.previous_target),
                "new": float(event.new_target),
                "reason": _quote(event.reason),
            }
            if event.new_period_targets is not None:
                return Sentence(
                    "{actor} revised the target of indicator {indicator_id} from {previous} to "
                    "{new}, with new period targets: {reason}",
                    revised,
                )
            return Sentence(
                "{actor} revised the target of indicator {indicator_id} from {previous} to "
                "{new}: {reason}",
                revised,
            )
        case ev.EvaluationStarted():
            if event.actor == "system" and actor_name in (None, "system"):
                return Sentence("The plan period ended and the evaluation started.", {})
            return Sentence("{actor} started the evaluation.", {"actor": who})
        case ev.KeyFactorRated():
            return Sentence(
                "{actor} rated {key_factor} as {rating}: {note}",
                {
                    "actor": who,
                    "key_factor": event.key_factor,
                    "rating": event.rating,
                    "note": _quote(event.note),
                },
            )
        case ev.FinalAssessmentRecorded():
            return Sentence(
                "{actor} recorded the final assessment of {key_factor} with maturity "
                "{maturity} of 5.",
                {"actor": who, "key_factor": event.key_factor, "maturity": event.maturity},
            )
        case ev.PlanClosed():
            return Sentence(
                "{actor} closed the plan: {summary}",
                {"actor": who, "summary": _quote(event.summary)},
            )
        case ev.PlanCancelled():
            return Sentence(
                "{actor} cancelled the plan: {reason}",
                {"actor": who, "reason": _quote(event.reason)},
            )
        case ev.PlanDonorsChanged():
            if not event.donors:
                return Sentence(
                    "{actor} removed every donor of the plan: {reason}",
                    {"actor": who, "reason": _quote(event.reason)},
                )
            return Sentence(
                "{actor} set the plan's donors to {donors}: {reason}",
                {"actor": who, "donors": ", ".join(event.donors), "reason": _quote(event.reason)},
            )
        case ev.ReminderSent() if event.kind == "measurement_due":
            return Sentence(
                "A reminder was sent that indicator {indicator_id} has no measurement for the "
                "period ending {due_date}.",
                {"indicator_id": event.indicator_id, "due_date": event.due_date},
            )
        case ev.ReminderSent():
            values = {"milestone_id": event.milestone_id, "due_date": event.due_date}
            if event.kind == "due_soon":
                return Sentence(
                    "A reminder was sent that milestone {milestone_id} is due on {due_date}.",
                    values,
                )
            return Sentence(
                "A reminder was sent that milestone {milestone_id}, due on {due_date}, is overdue.",
                values,
            )
        case ev.MilestoneOverdue():
            return Sentence(
                "Milestone {milestone_id}, due on {due_date}, became overdue.",
                {"milestone_id": event.milestone_id, "due_date": event.due_date},
            )
        case ev.MilestoneEscalated():
            return Sentence(
                "Milestone {milestone_id}, overdue since {overdue_since}, was escalated to "
                "the head of administration and programme managers.",
                {"milestone_id": event.milestone_id, "overdue_since": event.overdue_since},
            )
        case ev.MeasurementDue():
            due: dict[str, Any] = {
                "indicator_id": event.indicator_id,
                "starts": event.period_starts,
                "ends": event.period_ends,
                "missed": event.missed_periods,
            }
            if event.missed_periods > 1:
                return Sentence(
                    "Indicator {indicator_id} has no measurement for the reporting period "
                    "{starts} to {ends} ({missed} periods missed in all).",
                    due,
                )
            return Sentence(
                "Indicator {indicator_id} has no measurement for the reporting period "
                "{starts} to {ends}.",
                due,
            )
        case _:
            return Sentence(
                "{event_type}.", {"event_type": event.type.replace("_", " ").capitalize()}
            )
