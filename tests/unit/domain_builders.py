"""Shared builders for the domain unit tests: actors, instants and plans in every phase.

The phase builders drive ``LIFECYCLE`` with the plan driver's pure-domain adapter
(tests/support/plans.py), so a unit test's plan is made by the same commands as an
integration test's; the single-command helpers below build variations on top of them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain import (
    Actor,
    Command,
    Event,
    KeyFactor,
    PlanState,
    Role,
    decide,
    evolve,
    parse_command,
)
from tests.support.plans import Cast, DomainPlan, Indicator, Lifecycle, Milestone, Stage

COUNTRY = "GHA"
PERIOD_START = date(2026, 1, 1)
PERIOD_END = date(2027, 12, 31)
T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)

PM = Actor(name="Pat Manager", role=Role.PROGRAMME_MANAGER)
PM2 = Actor(name="Sam Manager", role=Role.PROGRAMME_MANAGER)
FP = Actor(name="Kofi Mensah", role=Role.FOCAL_POINT, country=COUNTRY)
HOA = Actor(name="Ama Mensah", role=Role.HEAD_OF_ADMINISTRATION, country=COUNTRY)
FP_OTHER = Actor(name="Jean Dupont", role=Role.FOCAL_POINT, country="SEN")
HOA_OTHER = Actor(name="Awa Diop", role=Role.HEAD_OF_ADMINISTRATION, country="SEN")
AUDITOR = Actor(name="Ada Auditor", role=Role.AUDITOR)
OBSERVER = Actor(name="Olu Observer", role=Role.OBSERVER)


LIFECYCLE = Lifecycle(
    plan_id=f"{COUNTRY}-{PERIOD_START.year}",
    cast=Cast(manager=PM, focal=FP, head=HOA),
    period_start=PERIOD_START,
    period_end=PERIOD_END,
    administration="Ghana Revenue Authority",
    title="A-CIP action plan 2026-2027",
    milestones=(Milestone("M1", date(2026, 6, 30), "transparency", "Milestone M1"),),
    indicators=(Indicator("I1", "transparency", 10.0, 50.0, "%", "Indicator I1"),),
    finding_summary="{factor} seen",
    close_summary="All done.",
)


def cmd(type_: str, **fields: Any) -> Command:
    """A command from JSON-like fields, parsed exactly as the API would."""
    return parse_command({"type": type_, **fields})


def open_plan_cmd(**overrides: Any) -> Command:
    return parse_command({**LIFECYCLE.open_command(), **overrides})


def run(
    state: PlanState | None, command: Command, actor: Actor, now: datetime = T0
) -> tuple[PlanState, list[Event]]:
    """decide then evolve, as the workflow does."""
    events = decide(state, command, actor, now)
    assert events, "a valid command yields at least one event"
    new = state
    for e in events:
        new = evolve(new, e)
    assert new is not None
    return new, events


def driven(to: Stage, now: datetime = T0) -> PlanState:
    """LIFECYCLE's plan driven through ``to``, every command at ``now``."""
    return DomainPlan(LIFECYCLE, now=now).advance(to)


def opened(**overrides: Any) -> PlanState:
    return run(None, open_plan_cmd(**overrides), PM)[0]


def with_findings(state: PlanState, factors: list[KeyFactor] | None = None) -> PlanState:
    for kf in factors if factors is not None else list(KeyFactor):
        state, _ = run(state, parse_command(LIFECYCLE.finding(kf)), FP)
    return state


def drafting() -> PlanState:
    return driven(Stage.DRAFTING)


def add_milestone(
    state: PlanState,
    milestone_id: str = "M1",
    due: date = date(2026, 6, 30),
    key_factor: KeyFactor = KeyFactor.TRANSPARENCY,
) -> PlanState:
    command = cmd(
        "add_milestone",
        milestone_id=milestone_id,
        title=f"Milestone {milestone_id}",
        key_factor=key_factor,
        due_date=due.isoformat(),
    )
    return run(state, command, FP)[0]


def define_indicator(
    state: PlanState,
    indicator_id: str = "I1",
    baseline: float = 10.0,
    target: float = 50.0,
    key_factor: KeyFactor = KeyFactor.TRANSPARENCY,
) -> PlanState:
    command = cmd(
        "define_indicator",
        indicator_id=indicator_id,
        name=f"Indicator {indicator_id}",
        key_factor=key_factor,
        unit="%",
        baseline=baseline,
        target=target,
    )
    return run(state, command, FP)[0]


def ready_draft() -> PlanState:
    return driven(Stage.DRAFTED)


def under_review() -> PlanState:
    return driven(Stage.UNDER_REVIEW)


def implementation(now: datetime = T0) -> PlanState:
    plan = DomainPlan(LIFECYCLE)
    plan.advance(Stage.UNDER_REVIEW)
    plan.now = now  # the approvals' instant: timers count from it
    return plan.advance(Stage.IMPLEMENTATION)


def evaluation() -> PlanState:
    # LIFECYCLE reports nothing, so REPORTED adds no command: straight to evaluation.
    return driven(Stage.EVALUATION)


def closed() -> PlanState:
    return driven(Stage.CLOSED)


def cancelled() -> PlanState:
    return run(drafting(), cmd("cancel_plan", reason="Programme ended."), PM)[0]


def day(n: int, base: datetime = T0) -> datetime:
    """00:00 UTC of base's date + n days."""
    start = datetime(base.year, base.month, base.day, tzinfo=UTC)
    return start + timedelta(days=n)
