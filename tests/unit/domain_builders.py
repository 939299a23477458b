"""Shared builders for the domain unit tests: actors, instants and plans in every phase."""

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


def cmd(type_: str, **fields: Any) -> Command:
    """A command from JSON-like fields, parsed exactly as the API would."""
    return parse_command({"type": type_, **fields})


def open_plan_cmd(**overrides: Any) -> Command:
    fields: dict[str, Any] = {
        "country": COUNTRY,
        "administration": "Ghana Revenue Authority",
        "title": "A-CIP action plan 2026-2027",
        "period_start": PERIOD_START.isoformat(),
        "period_end": PERIOD_END.isoformat(),
    }
    fields.update(overrides)
    return cmd("open_plan", **fields)


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


def opened(**overrides: Any) -> PlanState:
    return run(None, open_plan_cmd(**overrides), PM)[0]


def with_findings(state: PlanState, factors: list[KeyFactor] | None = None) -> PlanState:
    for kf in factors if factors is not None else list(KeyFactor):
        state, _ = run(
            state,
            cmd("record_diagnostic_finding", key_factor=kf, maturity=3, summary=f"{kf} seen"),
            FP,
        )
    return state


def drafting() -> PlanState:
    state = with_findings(opened())
    return run(state, cmd("complete_diagnostic"), FP)[0]


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
    return define_indicator(add_milestone(drafting()))


def under_review() -> PlanState:
    return run(ready_draft(), cmd("submit_for_approval"), FP)[0]


def implementation(now: datetime = T0) -> PlanState:
    state = run(under_review(), cmd("approve_plan"), HOA, now)[0]
    return run(state, cmd("approve_plan", comment="ok"), PM, now)[0]


def evaluation() -> PlanState:
    return run(implementation(), cmd("start_evaluation"), PM)[0]


def closed() -> PlanState:
    state = run(
        evaluation(),
        cmd("rate_key_factor", key_factor="transparency", rating="achieved", note="done"),
        PM,
    )[0]
    return run(state, cmd("close_plan", summary="All done."), PM)[0]


def cancelled() -> PlanState:
    return run(drafting(), cmd("cancel_plan", reason="Programme ended."), PM)[0]


def day(n: int, base: datetime = T0) -> datetime:
    """00:00 UTC of base's date + n days."""
    start = datetime(base.year, base.month, base.day, tzinfo=UTC)
    return start + timedelta(days=n)
