"""evolve(): fold one event into the plan state. Total over valid histories; never refuses
(the decision was taken when the event was produced), but a corrupt stream raises ValueError."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from domain import events as ev
from domain.events import Event
from domain.facts import carried
from domain.state import (
    Approval,
    Finding,
    IndicatorState,
    Measurement,
    MilestoneState,
    OutcomeState,
    Phase,
    PlanState,
    Rating,
)

T = TypeVar("T")


def evolve(state: PlanState | None, event: Event) -> PlanState:
    """Return the state after ``event``; version grows by one on every event."""
    if state is None:
        if not isinstance(event, ev.PlanOpened):
            raise ValueError(f"a plan stream must start with plan_opened, not {event.type}")
        return carried(
            PlanState, event, opened_by=event.actor, opened_at=event.at, last_changed_at=event.at,
            version=1,
        )  # fmt: skip
    if isinstance(event, ev.PlanOpened):
        raise ValueError(f"plan {state.plan_id} is already open")
    changes = _apply(state, event)
    changes["version"] = state.version + 1
    changes["last_changed_at"] = max(event.at, state.last_changed_at)
    return state.model_copy(update=changes)


def fold(events: Iterable[Event], state: PlanState | None = None) -> PlanState | None:
    """Fold events into ``state`` (None: from scratch). None only when there are no events."""
    for event in events:
        state = evolve(state, event)
    return state


def _milestone(state: PlanState, milestone_id: str) -> MilestoneState:
    try:
        return state.milestones[milestone_id]
    except KeyError:
        raise ValueError(f"unknown milestone {milestone_id} in {state.plan_id}") from None


def _indicator(state: PlanState, indicator_id: str) -> IndicatorState:
    try:
        return state.indicators[indicator_id]
    except KeyError:
        raise ValueError(f"unknown indicator {indicator_id} in {state.plan_id}") from None


def _with_milestone(state: PlanState, m: MilestoneState) -> dict[str, object]:
    return {"milestones": {**state.milestones, m.milestone_id: m}}


def _with_indicator(state: PlanState, i: IndicatorState) -> dict[str, object]:
    return {"indicators": {**state.indicators, i.indicator_id: i}}


def _milestone_changed(state: PlanState, milestone_id: str, **changes: object) -> dict[str, object]:
    m = _milestone(state, milestone_id)
    return _with_milestone(state, m.model_copy(update=changes))


def _indicator_changed(state: PlanState, indicator_id: str, **changes: object) -> dict[str, object]:
    i = _indicator(state, indicator_id)
    return _with_indicator(state, i.model_copy(update=changes))


def _without(items: dict[str, T], item_id: str) -> dict[str, T]:
    return {k: v for k, v in items.items() if k != item_id}


def _finding(event: ev.DiagnosticFindingRecorded | ev.FinalAssessmentRecorded) -> Finding:
    return carried(Finding, event, recorded_by=event.actor, recorded_at=event.at)


def _apply(state: PlanState, event: Event) -> dict[str, object]:
    match event:
        case ev.DiagnosticFindingRecorded():
            return {"findings": {**state.findings, event.key_factor: _finding(event)}}
        case ev.DiagnosticCompleted():
            return {"phase": Phase.DRAFTING, "diagnostic_completed_at": event.at}
        case ev.OutcomeAdded():
            outcome = carried(OutcomeState, event)
            return {"outcomes": {**state.outcomes, event.outcome_id: outcome}}
        case ev.OutcomeRemoved():
            if event.outcome_id not in state.outcomes:
                raise ValueError(f"unknown outcome {event.outcome_id} in {state.plan_id}")
            return {"outcomes": _without(state.outcomes, event.outcome_id)}
        case ev.MilestoneAdded():
            m = carried(MilestoneState, event, original_due_date=event.due_date)
            return _with_milestone(state, m)
        case ev.MilestoneRemoved():
            _milestone(state, event.milestone_id)
            return {"milestones": _without(state.milestones, event.milestone_id)}
        case ev.IndicatorDefined():
            i = carried(
                IndicatorState,
                event,
                original_target=event.target,
                original_period_targets=event.period_targets,
            )
            return _with_indicator(state, i)
        case ev.IndicatorRemoved():
            _indicator(state, event.indicator_id)
            return {"indicators": _without(state.indicators, event.indicator_id)}
        case ev.PlanSubmitted():
            return {
                "phase": Phase.UNDER_REVIEW,
                "submitted_by": event.actor,
                "submitted_at": event.at,
                "approvals": [],
                "changes_requested_reason": None,
            }
        case ev.PlanApprovalGranted():
            approval = carried(Approval, event, name=event.actor)
            return {"approvals": [*state.approvals, approval]}
        case ev.PlanApproved():
            return {"phase": Phase.IMPLEMENTATION, "approved_at": event.at}
        case ev.PlanChangesRequested():
            return {
                "phase": Phase.DRAFTING,
                "approvals": [],
                "submitted_by": None,
                "submitted_at": None,
                "changes_requested_reason": event.reason,
            }
        case ev.MilestoneProgressReported():
            return _milestone_changed(
                state, event.milestone_id,
                percent=event.percent, status="in_progress", last_note=event.note,
            )  # fmt: skip
        case ev.MilestoneCompleted():
            return _milestone_changed(
                state, event.milestone_id,
                percent=100, status="completed", completed_at=event.at,
                completed_by=event.actor, evidence=event.evidence,
            )  # fmt: skip
        case ev.MilestoneRescheduled():
            # A new due date restarts the time rules: due-soon, overdue, repeats and
            # escalation all apply afresh to the new date (docs/lifecycle.md).
            m = _milestone(state, event.milestone_id)
            return _milestone_changed(
                state, event.milestone_id,
                due_date=event.new_due_date, overdue_since=None, due_soon_sent=False,
                last_overdue_reminder_at=None, escalated=False,
                times_rescheduled=m.times_rescheduled + 1,
            )  # fmt: skip
        case ev.IndicatorMeasured():
            i = _indicator(state, event.indicator_id)
            measurement = carried(Measurement, event, recorded_at=event.at, recorded_by=event.actor)
            return _indicator_changed(
                state, event.indicator_id, measurements=[*i.measurements, measurement]
            )
        case ev.IndicatorTargetRevised():
            revised: dict[str, object] = {"target": event.new_target}
            if event.new_period_targets is not None:
                # original_period_targets keeps the path as approved, visible beside it.
                revised["period_targets"] = event.new_period_targets
            return _indicator_changed(state, event.indicator_id, **revised)
        case ev.EvaluationStarted():
            return {
                "phase": Phase.EVALUATION,
                "evaluation_started_at": event.at,
                "evaluation_started_by": event.actor,
            }
        case ev.KeyFactorRated():
            rating = carried(Rating, event, by=event.actor)
            return {"ratings": {**state.ratings, event.key_factor: rating}}
        case ev.FinalAssessmentRecorded():
            assessments = {**state.final_assessments, event.key_factor: _finding(event)}
            return {"final_assessments": assessments}
        case ev.PlanClosed():
            return {"phase": Phase.CLOSED, "closed_at": event.at, "closing_summary": event.summary}
        case ev.PlanDonorsChanged():
            return {"donors": event.donors}
        case ev.PlanCancelled():
            return {
                "phase": Phase.CANCELLED,
                "cancelled_at": event.at,
                "cancel_reason": event.reason,
            }
        case ev.ReminderSent() if event.kind == "measurement_due":
            # Its measurement_due (just before it) did the bookkeeping.
            return {}
        case ev.ReminderSent():
            m = _milestone(state, str(event.milestone_id))
            if event.kind == "due_soon":
                update: dict[str, object] = {"due_soon_sent": True}
            else:
                update = {"last_overdue_reminder_at": event.at}
            update["reminders_sent"] = m.reminders_sent + 1
            return _with_milestone(state, m.model_copy(update=update))
        case ev.MilestoneOverdue():
            return _milestone_changed(state, event.milestone_id, overdue_since=event.overdue_since)
        case ev.MilestoneEscalated():
            return _milestone_changed(state, event.milestone_id, escalated=True)
        case ev.MeasurementDue():
            i = _indicator(state, event.indicator_id)
            return _indicator_changed(
                state, event.indicator_id,
                measurement_due_through=event.period_ends,
                measurements_due_sent=i.measurements_due_sent + 1,
            )  # fmt: skip
        case _:
            raise ValueError(f"no evolve rule for event {event.type}")
