"""The checks decide() shares between commands: version, phase, the plan's items, readiness
for review. Each returns what it looked up or raises DomainError."""

from __future__ import annotations

from domain import errors as r
from domain.commands import Command
from domain.errors import DomainError
from domain.state import IndicatorState, MilestoneState, Phase, PlanState


def check_version(actual: int, expected: int | None) -> None:
    if expected is not None and expected != actual:
        raise DomainError(
            r.VERSION_CONFLICT,
            f"The plan changed meanwhile: expected version {expected}, actual version {actual}.",
            {"expected_version": expected, "actual_version": actual},
        )


def check_phase(state: PlanState, command: Command) -> None:
    allowed = type(command).phases
    if state.phase not in allowed:
        phases = " or ".join(p.label for p in Phase if p in allowed)
        raise DomainError(
            r.WRONG_PHASE,
            f"Cannot {command.label} while plan {state.plan_id} is in the "
            f"{state.phase.label} phase; it needs the {phases} phase.",
            {
                "command_type": command.type,
                "phase": state.phase.value,
                "allowed_phases": [p.value for p in Phase if p in allowed],
            },
        )


def milestone(state: PlanState, milestone_id: str) -> MilestoneState:
    m = state.milestones.get(milestone_id)
    if m is None:
        raise DomainError(
            r.UNKNOWN_MILESTONE,
            f"Plan {state.plan_id} has no milestone {milestone_id}.",
            {"milestone_id": milestone_id},
        )
    return m


def open_milestone(state: PlanState, milestone_id: str) -> MilestoneState:
    m = milestone(state, milestone_id)
    if m.status == "completed":
        raise DomainError(
            r.MILESTONE_COMPLETED,
            f"Milestone {milestone_id} is already completed.",
            {"milestone_id": milestone_id},
        )
    return m


def indicator(state: PlanState, indicator_id: str) -> IndicatorState:
    i = state.indicators.get(indicator_id)
    if i is None:
        raise DomainError(
            r.UNKNOWN_INDICATOR,
            f"Plan {state.plan_id} has no indicator {indicator_id}.",
            {"indicator_id": indicator_id},
        )
    return i


def check_ready(state: PlanState) -> None:
    # Each problem twice: the English phrase and, in ``reasons``, a code with its values,
    # so the edge can write the list in the reader's language (locales.refusals).
    problems: list[str] = []
    reasons: list[dict[str, str]] = []
    if not state.milestones:
        problems.append("it has no milestone")
        reasons.append({"reason": "no_milestone"})
    if not state.indicators:
        problems.append("it has no indicator")
        reasons.append({"reason": "no_indicator"})
    for m in sorted(state.milestones.values(), key=lambda m: m.milestone_id):
        if not state.period_start <= m.due_date <= state.period_end:
            problems.append(
                f"milestone {m.milestone_id} is due on {m.due_date}, outside the plan period "
                f"{state.period_start} to {state.period_end}"
            )
            reasons.append(
                {
                    "reason": "milestone_outside_period",
                    "milestone_id": m.milestone_id,
                    "due_date": m.due_date.isoformat(),
                    "period_start": state.period_start.isoformat(),
                    "period_end": state.period_end.isoformat(),
                }
            )
    for i in sorted(state.indicators.values(), key=lambda i: i.indicator_id):
        if i.target == i.baseline:
            problems.append(f"indicator {i.indicator_id} has a target equal to its baseline")
            reasons.append({"reason": "target_equals_baseline", "indicator_id": i.indicator_id})
    problems += outcome_problems(state)
    reasons += outcome_reasons(state)
    if problems:
        raise DomainError(
            r.PLAN_NOT_READY,
            f"The plan cannot be submitted yet: {'; '.join(problems)}.",
            {"problems": problems, "reasons": reasons},
        )


def outcome_problems(state: PlanState) -> list[str]:
    """Why a plan with outcomes cannot be submitted (empty for a flat plan, as before)."""
    if not state.outcomes:
        return []
    problems = [
        f"milestone {m.milestone_id} names no outcome"
        for m in sorted(state.milestones.values(), key=lambda m: m.milestone_id)
        if m.outcome_id is None
    ]
    problems += [
        f"indicator {i.indicator_id} names no outcome"
        for i in sorted(state.indicators.values(), key=lambda i: i.indicator_id)
        if i.outcome_id is None
    ]
    measured = {i.outcome_id for i in state.indicators.values()}
    for o in sorted(state.outcomes.values(), key=lambda o: o.outcome_id):
        children = {c.outcome_id for c in state.outcomes.values() if c.parent_id == o.outcome_id}
        if o.outcome_id not in measured and not (children & measured):
            problems.append(f"outcome {o.outcome_id} has no indicator (its own or a child's)")
    return problems


def outcome_reasons(state: PlanState) -> list[dict[str, str]]:
    """``outcome_problems`` as codes with their values, in the same order."""
    if not state.outcomes:
        return []
    reasons = [
        {"reason": "milestone_without_outcome", "milestone_id": m.milestone_id}
        for m in sorted(state.milestones.values(), key=lambda m: m.milestone_id)
        if m.outcome_id is None
    ]
    reasons += [
        {"reason": "indicator_without_outcome", "indicator_id": i.indicator_id}
        for i in sorted(state.indicators.values(), key=lambda i: i.indicator_id)
        if i.outcome_id is None
    ]
    measured = {i.outcome_id for i in state.indicators.values()}
    for o in sorted(state.outcomes.values(), key=lambda o: o.outcome_id):
        children = {c.outcome_id for c in state.outcomes.values() if c.parent_id == o.outcome_id}
        if o.outcome_id not in measured and not (children & measured):
            reasons.append({"reason": "outcome_without_indicator", "outcome_id": o.outcome_id})
    return reasons
