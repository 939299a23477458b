"""decide(): the business rules. Pure: the instant comes in as ``now``; nothing else is read.

Order of checks: access policy, expected_version, phase, then the command's own rules.
A refusal raises DomainError (nothing is appended); a valid command yields >= 1 event.
"""

from __future__ import annotations

from datetime import datetime

from domain import decide_results as results
from domain import errors as r
from domain.access import Actor, Role, check_role, check_scope
from domain.calendar import (
    check_in_calendar,
    check_measured_on,
    check_period,
    check_period_order,
)
from domain.commands import (
    COMMAND_BY_TYPE,
    AddMilestone,
    AddOutcome,
    ApprovePlan,
    CancelPlan,
    ClosePlan,
    Command,
    CompleteDiagnostic,
    CompleteMilestone,
    DefineIndicator,
    OpenPlan,
    RateKeyFactor,
    RecordDiagnosticFinding,
    RecordFinalAssessment,
    RecordMeasurement,
    RemoveIndicator,
    RemoveMilestone,
    RemoveOutcome,
    ReportMilestoneProgress,
    RequestChanges,
    RescheduleMilestone,
    ReviseIndicatorTarget,
    SetPlanDonors,
    StartEvaluation,
    SubmitForApproval,
)
from domain.countries import check_country
from domain.errors import DomainError
from domain.events import (
    DiagnosticCompleted,
    DiagnosticFindingRecorded,
    EvaluationStarted,
    Event,
    IndicatorMeasured,
    IndicatorRemoved,
    KeyFactorRated,
    MilestoneAdded,
    MilestoneCompleted,
    MilestoneProgressReported,
    MilestoneRemoved,
    MilestoneRescheduled,
    PlanApprovalGranted,
    PlanApproved,
    PlanCancelled,
    PlanChangesRequested,
    PlanClosed,
    PlanDonorsChanged,
    PlanOpened,
    PlanSubmitted,
)
from domain.guards import (
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
    name: c.phases for name, c in COMMAND_BY_TYPE.items()
}

# Both roles must approve the same submission before the plan enters implementation.
APPROVING_ROLES: frozenset[Role] = frozenset({Role.HEAD_OF_ADMINISTRATION, Role.PROGRAMME_MANAGER})


def decide(
    state: PlanState | None,
    command: Command,
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
        if not isinstance(command, OpenPlan):
            raise DomainError(
                r.PLAN_NOT_FOUND,
                "This plan does not exist; open it first.",
                {"command_type": command.type},
            )
        check_scope(actor, command.country)
        check_version(0, command.expected_version)
        return _open_plan(command, actor, now, bounded)
    check_scope(actor, state.country)
    if isinstance(command, OpenPlan):
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


def _check_bounds(state: PlanState, command: Command, now: datetime) -> None:
    match command:
        case AddMilestone():
            check_in_calendar("due_date", command.due_date)
        case RecordMeasurement():
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
        case DefineIndicator():
            if command.baseline_date is not None:
                check_in_calendar("baseline_date", command.baseline_date)
            for p in command.period_targets:
                check_in_calendar("period_targets.due", p.due)
        case _:
            pass


def _open_plan(c: OpenPlan, actor: Actor, now: datetime, bounded: bool) -> list[Event]:
    if bounded:
        check_country("country", c.country)
        check_period(c.period_start, c.period_end)
    else:
        check_period_order(c.period_start, c.period_end)
    return [
        PlanOpened(
            plan_id=c.plan_id,
            country=c.country,
            administration=c.administration,
            title=c.title,
            period_start=c.period_start,
            period_end=c.period_end,
            reminder_policy=c.reminder_policy,
            donors=c.donors,
            actor=actor.name,
            at=now,
        )
    ]


def _rules(state: PlanState, c: Command, actor: Actor, now: datetime) -> list[Event]:
    by = actor.name
    match c:
        case RecordDiagnosticFinding():
            # Recording a key factor again replaces the earlier finding.
            return [
                DiagnosticFindingRecorded(
                    key_factor=c.key_factor,
                    maturity=c.maturity,
                    summary=c.summary,
                    actor=by,
                    at=now,
                )
            ]
        case CompleteDiagnostic():
            missing = [k.label for k in KeyFactor if k not in state.findings]
            if missing:
                raise DomainError(
                    r.DIAGNOSTIC_INCOMPLETE,
                    f"The diagnostic needs a finding for all ten key factors; missing: "
                    f"{', '.join(missing)}.",
                    {"missing_key_factors": [k for k in KeyFactor if k not in state.findings]},
                )
            return [DiagnosticCompleted(actor=by, at=now)]
        case AddOutcome():
            return results.add_outcome(state, c, by, now)
        case RemoveOutcome():
            return results.remove_outcome(state, c, by, now)
        case AddMilestone():
            if c.outcome_id is not None:
                results.known_outcome(state, c.outcome_id)
            if c.milestone_id in state.milestones:
                raise DomainError(
                    r.DUPLICATE_MILESTONE,
                    f"Plan {state.plan_id} already has a milestone {c.milestone_id}.",
                    {"milestone_id": c.milestone_id},
                )
            return [
                MilestoneAdded(
                    milestone_id=c.milestone_id,
                    title=c.title,
                    key_factor=c.key_factor,
                    due_date=c.due_date,
                    description=c.description,
                    outcome_id=c.outcome_id,
                    actor=by,
                    at=now,
                )
            ]
        case RemoveMilestone():
            milestone(state, c.milestone_id)
            return [MilestoneRemoved(milestone_id=c.milestone_id, actor=by, at=now)]
        case DefineIndicator():
            return results.define_indicator(state, c, by, now)
        case RemoveIndicator():
            indicator(state, c.indicator_id)
            return [IndicatorRemoved(indicator_id=c.indicator_id, actor=by, at=now)]
        case SubmitForApproval():
            check_ready(state)
            return [PlanSubmitted(actor=by, at=now)]
        case ApprovePlan():
            return _approve(state, c, actor, now)
        case RequestChanges():
            return [PlanChangesRequested(actor=by, role=actor.role, reason=c.reason, at=now)]
        case ReportMilestoneProgress():
            open_milestone(state, c.milestone_id)
            return [
                MilestoneProgressReported(
                    milestone_id=c.milestone_id, percent=c.percent, note=c.note, actor=by, at=now
                )
            ]
        case CompleteMilestone():
            open_milestone(state, c.milestone_id)
            return [
                MilestoneCompleted(
                    milestone_id=c.milestone_id, evidence=c.evidence, actor=by, at=now
                )
            ]
        case RescheduleMilestone():
            return _reschedule(state, c, by, now)
        case RecordMeasurement():
            indicator(state, c.indicator_id)
            if c.measured_on > now.date():
                check_measured_on(state.period_start, c.measured_on, now.date())
            return [
                IndicatorMeasured(
                    indicator_id=c.indicator_id,
                    value=c.value,
                    measured_on=c.measured_on,
                    source=c.source,
                    actor=by,
                    at=now,
                )
            ]
        case ReviseIndicatorTarget():
            return results.revise_target(state, c, by, now)
        case StartEvaluation():
            return [EvaluationStarted(actor=by, at=now)]
        case RateKeyFactor():
            return [
                KeyFactorRated(
                    key_factor=c.key_factor, rating=c.rating, note=c.note, actor=by, at=now
                )
            ]
        case RecordFinalAssessment():
            return results.record_final_assessment(c, by, now)
        case ClosePlan():
            missing = [
                k.label
                for k in KeyFactor
                if k in state.covered_key_factors() and k not in state.ratings
            ]
            if missing:
                raise DomainError(
                    r.RATINGS_INCOMPLETE,
                    f"Every key factor with a milestone or an indicator needs a rating before "
                    f"closing; missing: {', '.join(missing)}.",
                    {
                        "missing_key_factors": [
                            k
                            for k in KeyFactor
                            if k in state.covered_key_factors() and k not in state.ratings
                        ]
                    },
                )
            return [PlanClosed(summary=c.summary, actor=by, at=now)]
        case CancelPlan():
            return [PlanCancelled(reason=c.reason, actor=by, at=now)]
        case SetPlanDonors():
            if c.donors == state.donors:
                raise DomainError(
                    r.DONORS_UNCHANGED,
                    f"Plan {state.plan_id} already has exactly these donors.",
                    {"donors": c.donors},
                )
            return [
                PlanDonorsChanged(
                    donors=c.donors, previous=state.donors, reason=c.reason, actor=by, at=now
                )
            ]
        case _:
            raise ValueError(f"no rule for command {c.type}")


def _approve(state: PlanState, c: ApprovePlan, actor: Actor, now: datetime) -> list[Event]:
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
    granted = PlanApprovalGranted(actor=actor.name, role=actor.role, comment=c.comment, at=now)
    events: list[Event] = [granted]
    roles = {a.role for a in state.approvals} | {actor.role}
    if roles >= APPROVING_ROLES:
        approvers = [a.name for a in state.approvals] + [actor.name]
        events.append(PlanApproved(approvers=approvers, at=now))
    return events


def _reschedule(state: PlanState, c: RescheduleMilestone, by: str, now: datetime) -> list[Event]:
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
    return [
        MilestoneRescheduled(
            milestone_id=c.milestone_id,
            previous_due_date=m.due_date,
            new_due_date=c.new_due_date,
            reason=c.reason,
            actor=by,
            at=now,
        )
    ]
