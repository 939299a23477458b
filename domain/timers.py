"""The time rules ("Events raised by time" in DOMAIN.md), as pure functions of state and now.

The workflow arms one timer at next_deadline(state), and when it fires asks due_events(state,
now) for what to append. Every instant here is 00:00 UTC of some day, so a timer that wakes a
few milliseconds late (or a worker down for a week) changes nothing but the ``at`` stamps.

Catch-up: a single call yields at most one event per kind and milestone (one milestone_overdue,
one overdue reminder, one escalation), never back-dated repeats; the next repeat counts in whole
days from the day of the last reminder actually sent. Indicators likewise: one measurement_due
(and its reminder) per indicator for the latest missed reporting period, counting the missed.

``measurements=False`` leaves the measurement_due rule out: a workflow replaying a history
recorded before the rule existed (workflows/plan.py, ``workflow.patched``) arms the timers
it armed then.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from domain.access import SYSTEM_ACTOR
from domain.events import (
    EvaluationStarted,
    Event,
    MeasurementDue,
    MilestoneEscalated,
    MilestoneOverdue,
    ReminderSent,
)
from domain.facts import carried
from domain.periods import ReportingPeriod, indicator_periods
from domain.state import IndicatorState, MilestoneState, Phase, PlanState, ReminderPolicy


def midnight(day: date) -> datetime:
    """00:00 UTC at the start of ``day``."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def due_soon_at(m: MilestoneState, policy: ReminderPolicy) -> datetime:
    return midnight(m.due_date - timedelta(days=policy.due_soon_days))


def overdue_at(m: MilestoneState) -> datetime:
    """The due date has fully passed: 00:00 UTC the next day."""
    return midnight(m.due_date + timedelta(days=1))


def next_repeat_at(m: MilestoneState, policy: ReminderPolicy) -> datetime | None:
    """Whole days after the day of the last overdue reminder (None unless overdue)."""
    if m.overdue_since is None:
        return None
    last = m.last_overdue_reminder_at or m.overdue_since
    return midnight(last.astimezone(UTC).date() + timedelta(days=policy.repeat_every_days))


def escalation_at(m: MilestoneState, policy: ReminderPolicy) -> datetime | None:
    if m.overdue_since is None or m.escalated:
        return None
    return m.overdue_since + timedelta(days=policy.escalate_after_days)


def evaluation_at(state: PlanState) -> datetime:
    """The period has fully passed: 00:00 UTC the day after period_end."""
    return midnight(state.period_end + timedelta(days=1))


def measurement_due_at(period: ReportingPeriod, policy: ReminderPolicy) -> datetime:
    """Grace days after the period has fully passed (00:00 UTC the day after it ends)."""
    return midnight(period.ends + timedelta(days=1 + policy.measurement_grace_days))


def unmeasured_periods(i: IndicatorState, state: PlanState) -> list[ReportingPeriod]:
    """Reporting periods not yet called for (after measurement_due_through) that have no
    measurement dated inside them, in order."""
    through = i.measurement_due_through
    days = sorted(m.measured_on for m in i.measurements)
    return [
        p
        for p in indicator_periods(i, state.period_start, state.period_end)
        if (through is None or p.ends > through) and not _holds_any(p, days)
    ]


def _holds_any(period: ReportingPeriod, sorted_days: list[date]) -> bool:
    """Whether a day of ``sorted_days`` lies in the period: the first day on or after its
    start, found by bisection (a ten-year plan measured quarterly holds ~40 periods and
    ~160 measurements per indicator, scanned at every timer)."""
    first = bisect_left(sorted_days, period.starts)
    return first < len(sorted_days) and sorted_days[first] <= period.ends


def _measurement_deadline(i: IndicatorState, state: PlanState) -> datetime | None:
    pending = unmeasured_periods(i, state)
    return measurement_due_at(pending[0], state.reminder_policy) if pending else None


def _measurement_events(i: IndicatorState, state: PlanState, now: datetime) -> list[Event]:
    missed = [
        p
        for p in unmeasured_periods(i, state)
        if now >= measurement_due_at(p, state.reminder_policy)
    ]
    if not missed:
        return []
    latest = missed[-1]
    return [
        MeasurementDue(
            indicator_id=i.indicator_id,
            period_starts=latest.starts,
            period_ends=latest.ends,
            missed_periods=len(missed),
            at=now,
        ),
        ReminderSent(
            indicator_id=i.indicator_id, kind="measurement_due", due_date=latest.ends, at=now
        ),
    ]


def _milestone_deadlines(m: MilestoneState, policy: ReminderPolicy) -> list[datetime]:
    if m.status == "completed":
        return []
    if m.overdue_since is None:
        pending = [overdue_at(m)]
        if not m.due_soon_sent:
            pending.append(due_soon_at(m, policy))
        return pending
    return [t for t in (next_repeat_at(m, policy), escalation_at(m, policy)) if t is not None]


def next_deadline(state: PlanState, *, measurements: bool = True) -> datetime | None:
    """Earliest instant at which due_events() would yield something; None when nothing is
    pending (any phase but implementation). May be in the past: then it is due now."""
    if state.phase is not Phase.IMPLEMENTATION:
        return None
    policy = state.reminder_policy
    pending = [evaluation_at(state)]
    for m in state.milestones.values():
        pending.extend(_milestone_deadlines(m, policy))
    if measurements:
        for i in state.indicators.values():
            deadline = _measurement_deadline(i, state)
            if deadline is not None:
                pending.append(deadline)
    return min(pending)


def _milestone_events(m: MilestoneState, policy: ReminderPolicy, now: datetime) -> list[Event]:
    if m.status == "completed":
        return []
    events: list[Event] = []
    overdue_since = m.overdue_since
    if overdue_since is None:
        if now >= overdue_at(m):
            # Overdue (possibly caught up late): overdue_since is the true instant, so an
            # escalation already due follows in the same call.
            overdue_since = overdue_at(m)
            events.append(carried(MilestoneOverdue, m, overdue_since=overdue_since, at=now))
            events.append(_reminder(m, "overdue", now))
        elif not m.due_soon_sent and now >= due_soon_at(m, policy):
            # A due-soon reminder is pointless once overdue, hence only in this branch.
            events.append(_reminder(m, "due_soon", now))
    else:
        repeat = next_repeat_at(m, policy)
        if repeat is not None and now >= repeat:
            events.append(_reminder(m, "overdue", now))
    if (
        overdue_since is not None
        and not m.escalated
        and now >= overdue_since + timedelta(days=policy.escalate_after_days)
    ):
        events.append(carried(MilestoneEscalated, m, overdue_since=overdue_since, at=now))
    return events


def _reminder(
    m: MilestoneState, kind: Literal["due_soon", "overdue"], now: datetime
) -> ReminderSent:
    return ReminderSent(milestone_id=m.milestone_id, kind=kind, due_date=m.due_date, at=now)


def due_events(state: PlanState, now: datetime, *, measurements: bool = True) -> list[Event]:
    """Everything due at ``now`` (aware UTC), in a deterministic order: milestones by due date
    then id, each overdue -> reminder -> escalation; then indicators by id, each
    measurement_due -> reminder; evaluation_started last, since it ends the implementation
    phase and with it all reminders."""
    if now.tzinfo is None:
        raise ValueError("due_events() needs an aware UTC instant")
    if state.phase is not Phase.IMPLEMENTATION:
        return []
    policy = state.reminder_policy
    events: list[Event] = []
    for m in sorted(state.milestones.values(), key=lambda m: (m.due_date, m.milestone_id)):
        events.extend(_milestone_events(m, policy, now))
    if measurements:
        for i in sorted(state.indicators.values(), key=lambda i: i.indicator_id):
            events.extend(_measurement_events(i, state, now))
    if now >= evaluation_at(state):
        events.append(EvaluationStarted(actor=SYSTEM_ACTOR.name, at=now))
    return events
