"""The checks decide() shares between commands: version, phase, the plan's items (known, or
new), completeness, readiness for review. Each returns what it looked up or raises DomainError."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from domain import errors as r
from domain.commands import Command
from domain.errors import DomainError
from domain.keyfactors import KeyFactor
from domain.state import IndicatorState, MilestoneState, Phase, PlanState

T = TypeVar("T")


def check_complete(rule: str, sentence: str, missing: list[KeyFactor]) -> None:
    """Refuse with ``rule`` while key factors are ``missing``; ``sentence`` names them in
    its ``{missing}`` place, the details list them."""
    if missing:
        raise DomainError(
            rule,
            sentence.format(missing=", ".join(k.label for k in missing)),
            {"missing_key_factors": missing},
        )


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


def known(
    state: PlanState, items: Mapping[str, T], noun: str, item_id: str, rule: str, field: str
) -> T:
    """The plan's item ``item_id`` among ``items`` (its milestones, indicators, outcomes);
    refused with ``rule``, naming ``field``, when the plan has none by that id."""
    item = items.get(item_id)
    if item is None:
        raise DomainError(rule, f"Plan {state.plan_id} has no {noun} {item_id}.", {field: item_id})
    return item


def check_new(
    state: PlanState, items: Mapping[str, object], noun: str, item_id: str, rule: str
) -> None:
    """Refuse with ``rule`` when the plan already has a ``noun`` ``item_id``: an id is the
    item's for the plan's life."""
    if item_id in items:
        article = "an" if noun[0] in "aeiou" else "a"
        raise DomainError(
            rule,
            f"Plan {state.plan_id} already has {article} {noun} {item_id}.",
            {f"{noun}_id": item_id},
        )


def milestone(state: PlanState, milestone_id: str) -> MilestoneState:
    return known(
        state, state.milestones, "milestone", milestone_id, r.UNKNOWN_MILESTONE, "milestone_id"
    )


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
    return known(
        state, state.indicators, "indicator", indicator_id, r.UNKNOWN_INDICATOR, "indicator_id"
    )


# A reason a plan is not ready: the English phrase, and a code with its values, so the edge
# can write the list in the reader's language (locales.refusals).
Problem = tuple[str, dict[str, str]]


def check_ready(state: PlanState) -> None:
    problems: list[Problem] = []
    if not state.milestones:
        problems.append(("it has no milestone", {"reason": "no_milestone"}))
    if not state.indicators:
        problems.append(("it has no indicator", {"reason": "no_indicator"}))
    for m in sorted(state.milestones.values(), key=lambda m: m.milestone_id):
        if not state.period_start <= m.due_date <= state.period_end:
            phrase = (
                f"milestone {m.milestone_id} is due on {m.due_date}, outside the plan period "
                f"{state.period_start} to {state.period_end}"
            )
            reason = {
                "reason": "milestone_outside_period",
                "milestone_id": m.milestone_id,
                "due_date": m.due_date.isoformat(),
                "period_start": state.period_start.isoformat(),
                "period_end": state.period_end.isoformat(),
            }
            problems.append((phrase, reason))
    for i in sorted(state.indicators.values(), key=lambda i: i.indicator_id):
        if i.target == i.baseline:
            phrase = f"indicator {i.indicator_id} has a target equal to its baseline"
            problems.append(
                (phrase, {"reason": "target_equals_baseline", "indicator_id": i.indicator_id})
            )
    problems += outcome_problems(state)
    if problems:
        phrases = [phrase for phrase, _ in problems]
        raise DomainError(
            r.PLAN_NOT_READY,
            f"The plan cannot be submitted yet: {'; '.join(phrases)}.",
            {"problems": phrases, "reasons": [reason for _, reason in problems]},
        )


def outcome_problems(state: PlanState) -> list[Problem]:
    """Why a plan with outcomes cannot be submitted (none for a flat plan, as before)."""
    if not state.outcomes:
        return []
    problems: list[Problem] = [
        (
            f"milestone {m.milestone_id} names no outcome",
            {"reason": "milestone_without_outcome", "milestone_id": m.milestone_id},
        )
        for m in sorted(state.milestones.values(), key=lambda m: m.milestone_id)
        if m.outcome_id is None
    ]
    problems += [
        (
            f"indicator {i.indicator_id} names no outcome",
            {"reason": "indicator_without_outcome", "indicator_id": i.indicator_id},
        )
        for i in sorted(state.indicators.values(), key=lambda i: i.indicator_id)
        if i.outcome_id is None
    ]
    measured = {i.outcome_id for i in state.indicators.values()}
    for o in sorted(state.outcomes.values(), key=lambda o: o.outcome_id):
        children = {c.outcome_id for c in state.outcomes.values() if c.parent_id == o.outcome_id}
        if o.outcome_id not in measured and not (children & measured):
            problems.append(
                (
                    f"outcome {o.outcome_id} has no indicator (its own or a child's)",
                    {"reason": "outcome_without_indicator", "outcome_id": o.outcome_id},
                )
            )
    return problems
