"""The time rules: due-soon, overdue, repeats, escalation, end of period, catch-up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain import (
    EvaluationStarted,
    MilestoneEscalated,
    MilestoneOverdue,
    PlanState,
    ReminderPolicy,
    ReminderSent,
    due_events,
    fold,
    next_deadline,
)
from tests.unit.domain_builders import (
    FP,
    HOA,
    PERIOD_END,
    PM,
    add_milestone,
    cmd,
    define_indicator,
    drafting,
    evaluation,
    implementation,
    run,
    under_review,
)

DAY0 = date(2026, 3, 2)
APPROVED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def d(n: int, hour: int = 0) -> datetime:
    """00:00 UTC (or ``hour``) of DAY0 + n days."""
    return datetime.combine(DAY0 + timedelta(days=n), datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=hour
    )


def approved_with(due: date, approved_at: datetime = APPROVED_AT, **policy: int) -> PlanState:
    state = drafting()
    if policy:
        state = state.model_copy(update={"reminder_policy": ReminderPolicy(**policy)})
    state = define_indicator(add_milestone(state, "M1", due=due))
    state = run(state, cmd("submit_for_approval"), FP, approved_at)[0]
    state = run(state, cmd("approve_plan"), HOA, approved_at)[0]
    return run(state, cmd("approve_plan"), PM, approved_at)[0]


def drive(
    state: PlanState, until: datetime, late: timedelta = timedelta(0)
) -> tuple[PlanState, list[tuple[datetime, str, str]]]:
    """Play the workflow: sleep to next_deadline (waking ``late``), append due_events."""
    log: list[tuple[datetime, str, str]] = []
    clock = APPROVED_AT
    while (deadline := next_deadline(state)) is not None and deadline <= until:
        clock = max(clock, deadline + late)
        events = due_events(state, clock)
        assert events, f"next_deadline {deadline} promised events"
        for e in events:
            kind = getattr(e, "kind", "")
            log.append((clock, e.type, kind))
        state = fold(events, state)  # type: ignore[assignment]
        new_deadline = next_deadline(state)
        assert new_deadline is None or new_deadline > clock, "timers must move forward"
    return state, log


def test_reference_timeline_day_23_31_38_45() -> None:
    state = approved_with(DAY0 + timedelta(days=30))
    assert next_deadline(state) == d(23)
    state, log = drive(state, until=d(46))
    assert log == [
        (d(23), "reminder_sent", "due_soon"),
        (d(31), "milestone_overdue", ""),
        (d(31), "reminder_sent", "overdue"),
        (d(38), "reminder_sent", "overdue"),
        (d(45), "reminder_sent", "overdue"),
        (d(45), "milestone_escalated", ""),
    ]
    m = state.milestones["M1"]
    assert m.overdue_since == d(31)
    assert m.reminders_sent == 4
    assert m.escalated
    # Completing the milestone stops everything but the end of the period.
    state, _ = run(
        state, cmd("complete_milestone", milestone_id="M1", evidence="Report."), FP, d(46, 9)
    )
    assert due_events(state, d(60)) == []
    # What is left: indicator I1's first annual period (2026) asks for a measurement 30
    # days after it ends, and the end of the plan period.
    assert next_deadline(state) == datetime(2027, 1, 31, tzinfo=UTC)
    assert next_deadline(state, measurements=False) == datetime(2028, 1, 1, tzinfo=UTC)


def test_no_events_between_deadlines() -> None:
    state = approved_with(DAY0 + timedelta(days=30))
    assert due_events(state, d(23) - timedelta(microseconds=1)) == []
    assert [e.type for e in due_events(state, d(23))] == ["reminder_sent"]


def test_timer_waking_late_keeps_the_midnight_grid() -> None:
    state = approved_with(DAY0 + timedelta(days=30))
    _, log = drive(state, until=d(46), late=timedelta(milliseconds=40))
    assert [(t - timedelta(milliseconds=40), k) for t, _, k in log if k == "overdue"] == [
        (d(31), "overdue"),
        (d(38), "overdue"),
        (d(45), "overdue"),
    ]


def test_catch_up_after_long_outage_is_one_of_each() -> None:
    state = approved_with(DAY0 + timedelta(days=30))
    now = d(200, 15)
    events = due_events(state, now)
    assert [type(e) for e in events] == [MilestoneOverdue, ReminderSent, MilestoneEscalated]
    overdue, reminder, escalation = events
    assert isinstance(overdue, MilestoneOverdue) and overdue.overdue_since == d(31)
    assert isinstance(reminder, ReminderSent) and reminder.kind == "overdue" and reminder.at == now
    assert isinstance(escalation, MilestoneEscalated) and escalation.at == now
    state = fold(events, state)  # type: ignore[assignment]
    assert state is not None
    # The next repeat counts from the catch-up day, not from the missed grid.
    assert next_deadline(state) == d(207)
    assert due_events(state, d(206, 23)) == []


def test_catch_up_without_escalation_when_not_yet_due() -> None:
    state = approved_with(DAY0 + timedelta(days=30))
    events = due_events(state, d(40))
    assert [e.type for e in events] == ["milestone_overdue", "reminder_sent"]
    state = fold(events, state)  # type: ignore[assignment]
    assert state is not None
    assert next_deadline(state) == d(45)  # escalation, from overdue_since


def test_plan_approved_inside_due_soon_window_gets_one_due_soon() -> None:
    state = approved_with(DAY0 + timedelta(days=3))
    events = due_events(state, APPROVED_AT)
    assert [(e.type, getattr(e, "kind", "")) for e in events] == [("reminder_sent", "due_soon")]


def test_plan_approved_after_due_date_skips_due_soon() -> None:
    state = approved_with(DAY0 - timedelta(days=2))
    events = due_events(state, APPROVED_AT)
    assert [e.type for e in events] == ["milestone_overdue", "reminder_sent"]


def test_reminder_policy_is_honoured() -> None:
    state = approved_with(
        DAY0 + timedelta(days=30), due_soon_days=2, repeat_every_days=3, escalate_after_days=5
    )
    _, log = drive(state, until=d(37))
    assert [(t, k or e) for t, e, k in log] == [
        (d(28), "due_soon"),
        (d(31), "milestone_overdue"),
        (d(31), "overdue"),
        (d(34), "overdue"),
        (d(36), "milestone_escalated"),
        (d(37), "overdue"),
    ]


def test_reschedule_restarts_the_reminders() -> None:
    state = approved_with(DAY0 + timedelta(days=30))
    state, _ = drive(state, until=d(46))
    new_due = DAY0 + timedelta(days=60)
    state, _ = run(
        state,
        cmd(
            "reschedule_milestone", milestone_id="M1", new_due_date=new_due.isoformat(), reason="r"
        ),
        PM,
        d(47, 8),
    )
    m = state.milestones["M1"]
    assert (m.overdue_since, m.escalated, m.due_soon_sent) == (None, False, False)
    assert m.original_due_date == DAY0 + timedelta(days=30)
    assert m.reminders_sent == 4  # cumulative, kept for the audit count
    state, log = drive(state, until=d(76))
    assert [(t, k or e) for t, e, k in log] == [
        (d(53), "due_soon"),
        (d(61), "milestone_overdue"),
        (d(61), "overdue"),
        (d(68), "overdue"),
        (d(75), "overdue"),
        (d(75), "milestone_escalated"),
    ]


def test_end_of_period_starts_evaluation_and_stops_reminders() -> None:
    state = implementation()
    end = datetime(2028, 1, 1, tzinfo=UTC)
    events = due_events(state, end + timedelta(days=3))
    # The milestone (due 2026-06-30) is caught up first, then the evaluation starts. (I1 is
    # biennial: its one reporting period ends with the plan, so it asks for nothing here.)
    assert [e.type for e in events] == [
        "milestone_overdue",
        "reminder_sent",
        "milestone_escalated",
        "evaluation_started",
    ]
    last = events[-1]
    assert isinstance(last, EvaluationStarted) and last.actor == "system"
    state = fold(events, state)  # type: ignore[assignment]
    assert state is not None and state.phase == "evaluation"
    assert next_deadline(state) is None
    assert due_events(state, end + timedelta(days=400)) == []
    assert date(2027, 12, 31) == PERIOD_END


@pytest.mark.parametrize("build", [drafting, under_review, evaluation])
def test_no_timers_outside_implementation(build: object) -> None:
    state = build()  # type: ignore[operator]
    assert next_deadline(state) is None
    assert due_events(state, datetime(2030, 1, 1, tzinfo=UTC)) == []


def test_two_milestones_ordered_by_due_date() -> None:
    state = drafting()
    state = add_milestone(state, "B", due=DAY0 + timedelta(days=10))
    state = add_milestone(state, "A", due=DAY0 + timedelta(days=20))
    state = define_indicator(state)
    state = run(state, cmd("submit_for_approval"), FP, APPROVED_AT)[0]
    state = run(state, cmd("approve_plan"), HOA, APPROVED_AT)[0]
    state = run(state, cmd("approve_plan"), PM, APPROVED_AT)[0]
    events = due_events(state, d(100))
    assert [getattr(e, "milestone_id", None) for e in events] == ["B"] * 3 + ["A"] * 3


def test_naive_now_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        due_events(implementation(), datetime(2026, 1, 1))
