"""The table of rule cases the test_domain_rules_* modules share: a state, a command, an
actor, and the rule that refuses it (or the events it yields when allowed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from domain import Actor, Command, DomainError, KeyFactor, PlanState, decide
from tests.unit.domain_builders import (
    FP,
    HOA,
    PM,
    T0,
    add_milestone,
    cmd,
    define_indicator,
    drafting,
    evaluation,
    implementation,
    ready_draft,
    run,
    under_review,
)


@dataclass(frozen=True)
class Case:
    id: str
    state: Callable[[], PlanState | None]
    command: Callable[[], Command]
    actor: Actor
    rule: str | None  # None: allowed
    events: tuple[str, ...] = ()
    now: datetime = T0


def none() -> None:
    return None


def c(type_: str, **fields: object) -> Callable[[], Command]:
    return lambda: cmd(type_, **fields)


def approved_by_hoa() -> PlanState:
    return run(under_review(), cmd("approve_plan"), HOA)[0]


def approved_by_pm() -> PlanState:
    return run(under_review(), cmd("approve_plan"), PM)[0]


def submitted_by_pm() -> PlanState:
    return run(ready_draft(), cmd("submit_for_approval"), PM)[0]


def changes_requested_after_hoa() -> PlanState:
    state = approved_by_hoa()
    state = run(state, cmd("request_changes", reason="Add a milestone."), PM)[0]
    return run(state, cmd("submit_for_approval"), FP)[0]


def draft_with_due(due: date) -> Callable[[], PlanState]:
    return lambda: define_indicator(add_milestone(drafting(), due=due))


def completed_m1() -> PlanState:
    return run(implementation(), cmd("complete_milestone", milestone_id="M1", evidence="x"), FP)[0]


def evaluation_rated(*factors: KeyFactor) -> Callable[[], PlanState]:
    def build() -> PlanState:
        state = evaluation()
        for kf in factors:
            state = run(
                state, cmd("rate_key_factor", key_factor=kf, rating="achieved", note="n"), PM
            )[0]
        return state

    return build


def evaluation_two_factors() -> PlanState:
    state = add_milestone(ready_draft(), "M2", key_factor=KeyFactor.AUTOMATION)
    state = run(state, cmd("submit_for_approval"), FP)[0]
    state = run(state, cmd("approve_plan"), HOA)[0]
    state = run(state, cmd("approve_plan"), PM)[0]
    return run(state, cmd("start_evaluation"), PM)[0]


ONE_DAY = timedelta(days=1)
TEN = list(KeyFactor)


def check(case: Case) -> None:
    state = case.state()
    command = case.command()
    if case.rule is None:
        events = decide(state, command, case.actor, case.now)
        assert tuple(e.type for e in events) == case.events
    else:
        with pytest.raises(DomainError) as info:
            decide(state, command, case.actor, case.now)
        assert info.value.rule == case.rule
        assert str(info.value) == info.value.message
        assert info.value.message.endswith(".")
