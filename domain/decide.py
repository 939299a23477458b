"""decide(): the business rules. Pure: the instant comes in as ``now``; nothing else is read.

Order of checks: access policy, expected_version, phase, then the command's own rules.
A refusal raises DomainError (nothing is appended); a valid command yields >= 1 event.
"""

from __future__ import annotations

from datetime import datetime

from domain import commands as cmd
from domain import decide_results as results
from domain import errors as r
from domain import events as ev
from domain.access import Actor, Role, check_role, check_scope
from domain.calendar import (
    check_in_calendar,
    check_measured_on,
    check_period,
    check_period_order,
)
from domain.countries import check_country
from domain.errors import DomainError
from domain.events import Event
from domain.facts import recorded
from domain.guards import (
    check_complete,
    check_new,
    check_phase,
    check_ready,
    check_version,
    indicator,
    milestone,
    open_milestone,
)
from domain.keyfactors import KeyFactor
from domain.state import Phase, PlanState

# The "phase" column of DOMAIN.md, by command type, as each command declares it.
COMMAND_PHASES: dict[str, frozenset[Phase]] = {
    name: c.phases for name, c in cmd.COMMAND_BY_TYPE.items()
}

# Both roles must approve the same submission before the plan enters implementation.
APPROVING_ROLES: frozenset[Role] = frozenset({Role.HEAD_OF_ADMINISTRATION, Role.PROGRAMME_MANAGER})


def decide(
    state: PlanState | None,
    command: cmd.Command,
    actor: Actor,
    now: datetime,
    *,
    bounded: bool = True,
) -> list[Event]:
    """Check ``command`` by ``actor`` at ``now`` against ``state``; return the new events.

    ``bounded=False`` leaves out the rules on input bounds added later (countries, the
    calendar, the period's length, measured_on before the period: docs/lifecycle.md), so a
    workflow replaying a history recorded before them decides as it did then."""
    if now.tzinfo is None:
        raise ValueError("decide() needs an aware UTC instant")
    check_role(command.type, actor)
    if bounded and actor.country is not None:
        check_country("actor.country", actor.country)
    if state is None:
        if not isinstance(command, cmd.OpenPlan):
            raise DomainError(
                r.PLAN_NOT_FOUND,
                "This plan does not exist; open it first.",
                {"command_type": command.type},
            )
        check_scope(actor, command.country)
        check_version(0, command.expected_version)
        return _open_plan(command, actor, now, bounded)
    check_scope(actor, state.country)
    if isinstance(command, cmd.OpenPlan):
        raise DomainError(
            r.PLAN_EXISTS,
            f"Plan {state.plan_id} already exists; a plan id is used only once.",
            {"plan_id": state.plan_id},
        )
    check_version(state.version, command.expected_version)
    check_phase(state, command)
    if bounded:
        _check_bounds(state, command, now)
    return _rules(state, command, actor, now)


def _check_bounds(state: PlanState, command: cmd.Command, now: datetime) -> None:
    match command:
        case cmd.AddMilestone():
            check_in_calendar("due_date", command.due_date)
        case cmd.RecordMeasurement():
            if (i := state.indicators.get(command.indicator_id)) and i.baseline_date:
                # Measured from the baseline date on, which may predate the plan.
                check_measured_on(
                    min(i.baseline_date, state.period_start), command.measured_on, now.date()
                )
                results.check_measured_after_baseline(
                    state, command.indicator_id, command.measured_on
                )
            else:
                check_measured_on(state.period_start, command.measured_on, now.date())
        case cmd.DefineIndicator():
            if command.baseline_date is not None:
                check_in_calendar("baseline_date", command.baseline_date)
            for p in command.period_targets:
                check_in_calendar("period_targets.due", p.due)
        case _:
            pass


def _open_plan(c: cmd.OpenPlan, actor: Actor, now: datetime, bounded: bool) -> list[Event]:
    if bounded:
        check_country("country", c.country)
        check_period(c.period_start, c.period_end)
    else:
        check_period_order(c.period_start, c.period_end)
    return [recorded(ev.PlanOpened, c, actor.name, now, plan_id=c.plan_id)]


def _rules(state: PlanState, c: cmd.Command, actor: Actor, now: datetime) -> list[Event]:
    by = actor.name
    match c:
        case cmd.RecordDiagnosticFinding():
            # Recording a key factor again replaces the earlier finding.
            return [recorded(ev.DiagnosticFindingRecorded, c, by, now)]
        case cmd.CompleteDiagnostic():
            check_complete(
                r.DIAGNOSTIC_INCOMPLETE,
                "The diagnostic needs a finding for all ten key factors; missing: {missing}.",
                [k for k in KeyFactor if k not in state.findings],
            )
            return [ev.DiagnosticCompleted(actor=by, at=now)]
        case cmd.AddOutcome():
            return results.add_outcome(state, c, by, now)
        case cmd.RemoveOutcome():
            return results.remove_outcome(state, c, by, now)
        case cmd.AddMilestone():
            if c.outcome_id is not None:
                results.known_outcome(state, c.outcome_id)
            check_new(state, state.milestones, "milestone", c.milestone_id, r.DUPLICATE_MILESTONE)
            return [recorded(ev.MilestoneAdded, c, by, now)]
        case cmd.RemoveMilestone():
            milestone(state, c.milestone_id)
            return [recorded(ev.MilestoneRemoved, c, by, now)]
        case cmd.DefineIndicator():
            return results.define_indicator(state, c, by, now)
        case cmd.RemoveIndicator():
            indicator(state, c.indicator_id)
            return [recorded(ev.IndicatorRemoved, c, by, now)]
        case cmd.SubmitForApproval():
            check_ready(state)
            return [ev.PlanSubmitted(actor=by, at=now)]
        case cmd.ApprovePlan():
            return _approve(state, c, actor, now)
        case cmd.RequestChanges():
            return [recorded(ev.PlanChangesRequested, c, by, now, role=actor.role)]
        case cmd.ReportMilestoneProgress():
            open_milestone(state, c.milestone_id)
            return [recorded(ev.MilestoneProgressReported, c, by, now)]
        case cmd.CompleteMilestone():
            open_milestone(state, c.milestone_id)
            return [recorded(ev.MilestoneCompleted, c, by, now)]
        case cmd.RescheduleMilestone():
            return _reschedule(state, c, by, now)
        case cmd.RecordMeasurement():
            indicator(state, c.indicator_id)
            if c.measured_on > now.date():
                check_measured_on(state.period_start, c.measured_on, now.date())
            return [recorded(ev.IndicatorMeasured, c, by, now)]
        case cmd.ReviseIndicatorTarget():
            return results.revise_target(state, c, by, now)
        case cmd.StartEvaluation():
            return [ev.EvaluationStarted(actor=by, at=now)]
        case cmd.RateKeyFactor():
            return [recorded(ev.KeyFactorRated, c, by, now)]
        case cmd.RecordFinalAssessment():
            # Recording a key factor again replaces the earlier assessment, as with findings.
            return [recorded(ev.FinalAssessmentRecorded, c, by, now)]
        case cmd.ClosePlan():
            covered = state.covered_key_factors()
            check_complete(
                r.RATINGS_INCOMPLETE,
                "Every key factor with a milestone or an indicator needs a rating before "
                "closing; missing: {missing}.",
                [k for k in KeyFactor if k in covered and k not in state.ratings],
            )
            return [recorded(ev.PlanClosed, c, by, now)]
        case cmd.CancelPlan():
            return [recorded(ev.PlanCancelled, c, by, now)]
        case cmd.SetPlanDonors():
            if c.donors == state.donors:
                raise DomainError(
                    r.DONORS_UNCHANGED,
                    f"Plan {state.plan_id} already has exactly these donors.",
                    {"donors": c.donors},
                )
            return [recorded(ev.PlanDonorsChanged, c, by, now, previous=state.donors)]
        case _:
            raise ValueError(f"no rule for command {c.type}")


def _approve(state: PlanState, c: cmd.ApprovePlan, actor: Actor, now: datetime) -> list[Event]:
    if actor.name == state.submitted_by:
        raise DomainError(
            r.FOUR_EYES,
            f"{actor.name} submitted this plan and may not also approve it.",
            {"submitted_by": actor.name},
        )
    if any(a.role == actor.role for a in state.approvals):
        raise DomainError(
            r.ALREADY_APPROVED,
            f"{actor.role.with_article.capitalize()} has already approved this submission.",
            {"role": actor.role.value},
        )
    granted = recorded(ev.PlanApprovalGranted, c, actor.name, now, role=actor.role)
    events: list[Event] = [granted]
    roles = {a.role for a in state.approvals} | {actor.role}
    if roles >= APPROVING_ROLES:
        approvers = [a.name for a in state.approvals] + [actor.name]
        events.append(ev.PlanApproved(approvers=approvers, at=now))
    return events


def _reschedule(
    state: PlanState, c: cmd.RescheduleMilestone, by: str, now: datetime
) -> list[Event]:
    m = open_milestone(state, c.milestone_id)
    if not state.period_start <= c.new_due_date <= state.period_end:
        raise DomainError(
            r.OUT_OF_PERIOD,
            f"The new due date {c.new_due_date} is outside the plan period "
            f"{state.period_start} to {state.period_end}.",
            {
                "new_due_date": c.new_due_date.isoformat(),
                "period_start": state.period_start.isoformat(),
                "period_end": state.period_end.isoformat(),
            },
        )
    if c.new_due_date == m.due_date:
        raise DomainError(
            r.INVALID_VALUE,
            f"Milestone {c.milestone_id} is already due on {m.due_date}.",
            {"milestone_id": c.milestone_id, "due_date": m.due_date.isoformat()},
        )
    if c.new_due_date < now.date():
        raise DomainError(
            r.INVALID_VALUE,
            f"The new due date {c.new_due_date} is already in the past.",
            {"new_due_date": c.new_due_date.isoformat(), "today": now.date().isoformat()},
        )
    return [recorded(ev.MilestoneRescheduled, c, by, now, previous_due_date=m.due_date)]
