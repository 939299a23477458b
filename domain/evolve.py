"""evolve(): fold one event into the plan state. Total over valid histories; never refuses
(the decision was taken when the event was produced), but a corrupt stream raises ValueError."""

from __future__ import annotations

from collections.abc import Iterable

from domain.copying import replaced, updated_in_place
from domain.events import (
    DiagnosticCompleted,
    DiagnosticFindingRecorded,
    EvaluationStarted,
    Event,
    FinalAssessmentRecorded,
    IndicatorDefined,
    IndicatorMeasured,
    IndicatorRemoved,
    IndicatorTargetRevised,
    KeyFactorRated,
    MeasurementDue,
    MilestoneAdded,
    MilestoneCompleted,
    MilestoneEscalated,
    MilestoneOverdue,
    MilestoneProgressReported,
    MilestoneRemoved,
    MilestoneRescheduled,
    OutcomeAdded,
    OutcomeRemoved,
    PlanApprovalGranted,
    PlanApproved,
    PlanCancelled,
    PlanChangesRequested,
    PlanClosed,
    PlanDonorsChanged,
    PlanOpened,
    PlanSubmitted,
    ReminderSent,
)
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


def evolve(state: PlanState | None, event: Event) -> PlanState:
    """Return the state after ``event``; version grows by one on every event."""
    if state is None:
        if not isinstance(event, PlanOpened):
            raise ValueError(f"a plan stream must start with plan_opened, not {event.type}")
        return PlanState(
            plan_id=event.plan_id,
            country=event.country,
            administration=event.administration,
            title=event.title,
            period_start=event.period_start,
            period_end=event.period_end,
            reminder_policy=event.reminder_policy,
            donors=event.donors,
            opened_by=event.actor,
            opened_at=event.at,
            last_changed_at=event.at,
            version=1,
        )
    return replaced(state, _changes(state, event))


def evolve_owned(state: PlanState | None, event: Event) -> PlanState:
    """``evolve(state, event)``, but the changes are made to ``state`` itself, which is
    returned: no copy of the plan state per event. Only for a caller that holds the one
    reference to ``state`` and never reads it again as the state before ``event`` (a
    rebuild's fold: its states come from here or from their stored JSON). The changes
    are those evolve() applies, computed before anything is changed, so an event that
    raises leaves ``state`` as it was. tests/unit/test_evolve_owned.py holds the two folds
    equal."""
    if state is None:
        return evolve(None, event)
    return updated_in_place(state, _changes(state, event))


def _changes(state: PlanState, event: Event) -> dict[str, object]:
    """The fields ``event`` changes in ``state`` (new values; nothing in ``state`` is
    modified): what evolve() and evolve_owned() apply."""
    if isinstance(event, PlanOpened):
        raise ValueError(f"plan {state.plan_id} is already open")
    changes = _apply(state, event)
    changes["version"] = state.version + 1
    changes["last_changed_at"] = max(event.at, state.last_changed_at)
    return changes


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


def _apply(state: PlanState, event: Event) -> dict[str, object]:
    # Most frequent events first (a realistic history: reminders about a third, then
    # measurements, findings, progress): each case is an isinstance check, in order.
    match event:
        case ReminderSent() if event.kind == "measurement_due":
            # Its measurement_due (just before it) did the bookkeeping.
            return {}
        case ReminderSent():
            m = _milestone(state, str(event.milestone_id))
            if event.kind == "due_soon":
                update: dict[str, object] = {"due_soon_sent": True}
            else:
                update = {"last_overdue_reminder_at": event.at}
            update["reminders_sent"] = m.reminders_sent + 1
            return _with_milestone(state, replaced(m, update))
        case IndicatorMeasured():
            i = _indicator(state, event.indicator_id)
            measurement = Measurement(
                value=event.value,
                measured_on=event.measured_on,
                source=event.source,
                recorded_at=event.at,
                recorded_by=event.actor,
            )
            return _with_indicator(
                state, replaced(i, {"measurements": [*i.measurements, measurement]})
            )
        case DiagnosticFindingRecorded():
            finding = Finding(
                key_factor=event.key_factor,
                maturity=event.maturity,
                summary=event.summary,
                recorded_by=event.actor,
                recorded_at=event.at,
            )
            return {"findings": {**state.findings, event.key_factor: finding}}
        case MilestoneProgressReported():
            m = _milestone(state, event.milestone_id)
            return _with_milestone(
                state,
                replaced(
                    m,
                    {
                        "percent": event.percent,
                        "status": "in_progress",
                        "last_note": event.note,
                    },
                ),
            )
        case MilestoneAdded():
            return _with_milestone(
                state,
                MilestoneState(
                    milestone_id=event.milestone_id,
                    title=event.title,
                    key_factor=event.key_factor,
                    description=event.description,
                    due_date=event.due_date,
                    original_due_date=event.due_date,
                    outcome_id=event.outcome_id,
                ),
            )
        case MilestoneCompleted():
            m = _milestone(state, event.milestone_id)
            return _with_milestone(
                state,
                replaced(
                    m,
                    {
                        "percent": 100,
                        "status": "completed",
                        "completed_at": event.at,
                        "completed_by": event.actor,
                        "evidence": event.evidence,
                    },
                ),
            )
        case KeyFactorRated():
            rating = Rating(
                key_factor=event.key_factor,
                rating=event.rating,
                note=event.note,
                by=event.actor,
                at=event.at,
            )
            return {"ratings": {**state.ratings, event.key_factor: rating}}
        case FinalAssessmentRecorded():
            assessment = Finding(
                key_factor=event.key_factor,
                maturity=event.maturity,
                summary=event.summary,
                recorded_by=event.actor,
                recorded_at=event.at,
            )
            return {"final_assessments": {**state.final_assessments, event.key_factor: assessment}}
        case IndicatorDefined():
            return _with_indicator(
                state,
                IndicatorState(
                    indicator_id=event.indicator_id,
                    name=event.name,
                    key_factor=event.key_factor,
                    unit=event.unit,
                    baseline=event.baseline,
                    target=event.target,
                    original_target=event.target,
                    source=event.source,
                    outcome_id=event.outcome_id,
                    reporting_frequency=event.reporting_frequency,
                    baseline_date=event.baseline_date,
                    period_targets=event.period_targets,
                    original_period_targets=event.period_targets,
                ),
            )
        case MilestoneOverdue():
            m = _milestone(state, event.milestone_id)
            return _with_milestone(state, replaced(m, {"overdue_since": event.overdue_since}))
        case MilestoneEscalated():
            m = _milestone(state, event.milestone_id)
            return _with_milestone(state, replaced(m, {"escalated": True}))
        case OutcomeAdded():
            outcome = OutcomeState(
                outcome_id=event.outcome_id,
                title=event.title,
                key_factors=event.key_factors,
                parent_id=event.parent_id,
                description=event.description,
            )
            return {"outcomes": {**state.outcomes, event.outcome_id: outcome}}
        case MeasurementDue():
            i = _indicator(state, event.indicator_id)
            return _with_indicator(
                state,
                replaced(
                    i,
                    {
                        "measurement_due_through": event.period_ends,
                        "measurements_due_sent": i.measurements_due_sent + 1,
                    },
                ),
            )
        case PlanApprovalGranted():
            approval = Approval(
                name=event.actor, role=event.role, comment=event.comment, at=event.at
            )
            return {"approvals": [*state.approvals, approval]}
        case MilestoneRescheduled():
            m = _milestone(state, event.milestone_id)
            # A new due date restarts the time rules: due-soon, overdue, repeats and
            # escalation all apply afresh to the new date (docs/lifecycle.md).
            return _with_milestone(
                state,
                replaced(
                    m,
                    {
                        "due_date": event.new_due_date,
                        "overdue_since": None,
                        "due_soon_sent": False,
                        "last_overdue_reminder_at": None,
                        "escalated": False,
                        "times_rescheduled": m.times_rescheduled + 1,
                    },
                ),
            )
        case DiagnosticCompleted():
            return {"phase": Phase.DRAFTING, "diagnostic_completed_at": event.at}
        case OutcomeRemoved():
            if event.outcome_id not in state.outcomes:
                raise ValueError(f"unknown outcome {event.outcome_id} in {state.plan_id}")
            rest_o = {k: v for k, v in state.outcomes.items() if k != event.outcome_id}
            return {"outcomes": rest_o}
        case MilestoneRemoved():
            _milestone(state, event.milestone_id)
            rest = {k: v for k, v in state.milestones.items() if k != event.milestone_id}
            return {"milestones": rest}
        case IndicatorRemoved():
            _indicator(state, event.indicator_id)
            rest_i = {k: v for k, v in state.indicators.items() if k != event.indicator_id}
            return {"indicators": rest_i}
        case PlanSubmitted():
            return {
                "phase": Phase.UNDER_REVIEW,
                "submitted_by": event.actor,
                "submitted_at": event.at,
                "approvals": [],
                "changes_requested_reason": None,
            }
        case PlanApproved():
            return {"phase": Phase.IMPLEMENTATION, "approved_at": event.at}
        case PlanChangesRequested():
            return {
                "phase": Phase.DRAFTING,
                "approvals": [],
                "submitted_by": None,
                "submitted_at": None,
                "changes_requested_reason": event.reason,
            }
        case IndicatorTargetRevised():
            i = _indicator(state, event.indicator_id)
            revised: dict[str, object] = {"target": event.new_target}
            if event.new_period_targets is not None:
                # original_period_targets keeps the path as approved, visible beside it.
                revised["period_targets"] = event.new_period_targets
            return _with_indicator(state, replaced(i, revised))
        case EvaluationStarted():
            return {
                "phase": Phase.EVALUATION,
                "evaluation_started_at": event.at,
                "evaluation_started_by": event.actor,
            }
        case PlanClosed():
            return {"phase": Phase.CLOSED, "closed_at": event.at, "closing_summary": event.summary}
        case PlanDonorsChanged():
            return {"donors": event.donors}
        case PlanCancelled():
            return {
                "phase": Phase.CANCELLED,
                "cancelled_at": event.at,
                "cancel_reason": event.reason,
            }
        case _:
            raise ValueError(f"no evolve rule for event {event.type}")
