"""A plan can never wedge (issue 11): with dates anywhere the rules accept, calendar edges
included, the timer path (next_deadline, due_events) never raises, and decide() refuses
bad input only with DomainError, never with OverflowError or ValueError.

Plans are drawn across the whole calendar the rules allow: periods starting on
EARLIEST_DATE or ending on LATEST_DATE, reminder policies with day counts up to
MAX_POLICY_DAYS, milestones due on the first or last day of the period. Commands carry
dates anywhere, 0001-01-01 and 9999-12-31 too. The clock runs from before the period to
two years past its end (a worker down for a long time), in irregular jumps.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import (
    Actor,
    DomainError,
    KeyFactor,
    Phase,
    PlanState,
    decide,
    due_events,
    evolve,
    next_deadline,
    parse_command,
)
from domain.calendar import EARLIEST_DATE, LATEST_DATE, period_limit
from domain.state import MAX_POLICY_DAYS
from tests.unit.domain_builders import FP, HOA, PM

MILESTONES = ("M1", "M2", "M3")
DAY = timedelta(days=1)
# Past the end of the period the plan leaves implementation at the first timer step; the
# clock is kept within two years of it.
CLOCK_RUNS_PAST_END = timedelta(days=730)


@st.composite
def periods(draw: st.DrawFn) -> tuple[date, date]:
    """A period the rules accept, often pressed against one end of the calendar."""
    length = draw(st.sampled_from([1, 2, 30, 365, 5478]) | st.integers(1, 5478))
    where = draw(st.sampled_from(["earliest", "latest", "anywhere"]))
    if where == "earliest":
        start = EARLIEST_DATE
    elif where == "latest":
        start = LATEST_DATE - timedelta(days=length)
    else:
        start = draw(st.dates(EARLIEST_DATE, LATEST_DATE - timedelta(days=length)))
    end = min(start + timedelta(days=length), period_limit(start), LATEST_DATE)
    return start, end


def _day_in(data: st.DataObject, start: date, end: date) -> date:
    """Any day of the period, the first and the last day most of all."""
    edge = data.draw(st.sampled_from(["first", "last", "any"]))
    if edge == "first":
        return start
    if edge == "last":
        return end
    return data.draw(st.dates(start, end))


def _any_day(data: st.DataObject, start: date, end: date) -> date:
    """A day the rules may refuse: the calendar's own ends, just outside the period, or in it."""
    if data.draw(st.booleans()):
        return _day_in(data, start, end)
    edges = [date.min, date.max, start - DAY, end + DAY, EARLIEST_DATE, LATEST_DATE]
    return data.draw(st.sampled_from(edges) | st.dates())


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def _run(state: PlanState | None, fields: dict[str, Any], actor: Actor, now: datetime) -> Any:
    """decide + evolve; a refusal must be a DomainError and leaves the state as it was."""
    try:
        events = decide(state, parse_command(fields), actor, now)
    except DomainError as refusal:
        assert refusal.rule and refusal.message
        return state
    for event in events:
        state = evolve(state, event)
    return state


def _timer_step(state: PlanState, now: datetime) -> PlanState:
    deadline = next_deadline(state)  # must not raise
    for event in due_events(state, now):  # must not raise
        state = evolve(state, event)
    if deadline is not None and now >= deadline and state.phase is Phase.IMPLEMENTATION:
        after = next_deadline(state)
        assert after is None or after > now
    return state


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_a_plan_at_any_date_the_rules_accept_never_wedges(data: st.DataObject) -> None:
    draw = data.draw
    start, end = draw(periods(), label="period")
    policy = {
        name: draw(st.sampled_from([1, MAX_POLICY_DAYS]) | st.integers(1, MAX_POLICY_DAYS))
        for name in ("due_soon_days", "repeat_every_days", "escalate_after_days")
    }
    now = _noon(max(start - timedelta(days=draw(st.integers(0, 400))), date(1, 1, 2)))
    opening = {
        "type": "open_plan",
        "country": "GHA",
        "administration": "Ghana Revenue Authority",
        "title": "Plan",
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "reminder_policy": policy,
    }
    state = _run(None, opening, PM, now)
    assert state is not None, f"the rules accept {start} to {end}"
    for factor in KeyFactor:
        fields = {"type": "record_diagnostic_finding", "key_factor": factor, "maturity": 3}
        state = _run(state, {**fields, "summary": "s"}, FP, now)
    state = _run(state, {"type": "complete_diagnostic"}, FP, now)
    for milestone_id in MILESTONES:
        # M1 inside the period, so the plan can be submitted; the others anywhere.
        due = _day_in(data, start, end) if milestone_id == "M1" else _any_day(data, start, end)
        milestone = {"milestone_id": milestone_id, "title": "t", "key_factor": "automation"}
        state = _run(state, {"type": "add_milestone", **milestone, "due_date": due}, FP, now)
    indicator = {"indicator_id": "I1", "name": "n", "key_factor": "automation", "unit": "%"}
    state = _run(
        state, {"type": "define_indicator", **indicator, "baseline": 0, "target": 9}, FP, now
    )
    # A milestone outside the period keeps the plan in drafting: drop those, then submit.
    for m in state.milestones.values():
        if not start <= m.due_date <= end:
            state = _run(
                state, {"type": "remove_milestone", "milestone_id": m.milestone_id}, FP, now
            )
    for step, actor in (
        ({"type": "submit_for_approval"}, FP),
        ({"type": "approve_plan"}, HOA),
        ({"type": "approve_plan"}, PM),
    ):
        state = _run(state, step, actor, now)
    assert state.phase is Phase.IMPLEMENTATION
    latest_now = _noon(end) + CLOCK_RUNS_PAST_END
    for _ in range(draw(st.integers(1, 40), label="steps")):
        jump = draw(st.sampled_from([0, 1, 7, 365]) | st.integers(0, 3 * MAX_POLICY_DAYS))
        now = min(now + timedelta(days=jump, hours=draw(st.integers(0, 23))), latest_now)
        kind = draw(
            st.sampled_from(["tick", "tick", "reschedule", "measure", "progress", "complete"])
        )
        milestone_id = draw(st.sampled_from(MILESTONES))
        if kind == "tick":
            state = _timer_step(state, now)
            continue
        if kind == "reschedule":
            new_due = _any_day(data, start, end)
            fields = {"milestone_id": milestone_id, "new_due_date": new_due, "reason": "r"}
            state = _run(state, {"type": "reschedule_milestone", **fields}, PM, now)
        elif kind == "measure":
            day = _any_day(data, start, end)
            fields = {"indicator_id": "I1", "value": draw(st.integers(-5, 20)), "measured_on": day}
            state = _run(state, {"type": "record_measurement", **fields}, FP, now)
        elif kind == "progress":
            fields = {"milestone_id": milestone_id, "percent": 50, "note": "n"}
            state = _run(state, {"type": "report_milestone_progress", **fields}, FP, now)
        else:
            fields = {"milestone_id": milestone_id, "evidence": "e"}
            state = _run(state, {"type": "complete_milestone", **fields}, FP, now)
        next_deadline(state)  # the workflow re-arms its timer after every command
    # Cancelling always works, whatever the plan has been through.
    if state.phase not in (Phase.CLOSED, Phase.CANCELLED):
        cancelled = _run(state, {"type": "cancel_plan", "reason": "stop"}, PM, now)
        assert cancelled.phase is Phase.CANCELLED


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(),
    end=st.dates(),
    policy_days=st.integers(1, MAX_POLICY_DAYS),
)
def test_open_plan_refuses_what_it_cannot_hold_with_a_rule(
    start: date, end: date, policy_days: int
) -> None:
    """Any pair of dates: accepted, or refused with a DomainError naming a rule; an accepted
    plan's deadlines (the day after its end, its first timer) can be computed."""
    if start.year < 1000:
        return  # refused at parse time: the plan id carries a four-digit year
    fields = {
        "type": "open_plan",
        "country": "GHA",
        "administration": "A",
        "title": "T",
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "reminder_policy": dict.fromkeys(
            ("due_soon_days", "repeat_every_days", "escalate_after_days"), policy_days
        ),
    }
    try:
        events = decide(None, parse_command(fields), PM, _noon(date(2026, 1, 5)))
    except DomainError as refusal:
        assert refusal.rule in {"invalid_period", "period_too_long", "date_out_of_range"}
        return
    state = evolve(None, events[0])
    assert EARLIEST_DATE <= state.period_start < state.period_end <= LATEST_DATE
    assert state.period_end + timedelta(days=1 + 3 * MAX_POLICY_DAYS) <= date.max
