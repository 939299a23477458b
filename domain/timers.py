"""The time rules ("Events raised by time" in DOMAIN.md), as pure functions of state and now.

The workflow arms one timer at next_deadline(state), and when it fires asks due_events(state,
now) for what to append. Every instant here is 00:00 UTC of some day, so a timer that wakes a
few milliseconds late (or a worker down for a week) changes nothing but the ``at`` stamps.

Catch-up: a single call yields at most one event per kind and milestone (one milestone_overdue,
one overdue reminder, one escalation), never back-dated repeats; the next repeat counts in whole
days from the day of the last reminder actually sent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from domain.access import SYSTEM_ACTOR
from domain.events import (
    EvaluationStarted,
    Event,
    MilestoneEscalated,
    MilestoneOverdue,
    ReminderSent,
)
from domain.state import MilestoneState, Phase, PlanState, ReminderPolicy


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


def _milestone_deadlines(m: MilestoneState, policy: ReminderPolicy) -> list[datetime]:
    if m.status == "completed":
        return []
    if m.overdue_since is None:
        pending = [overdue_at(m)]
        if not m.due_soon_sent:
            pending.append(due_soon_at(m, policy))
        return pending
    return [t for t in (next_repeat_at(m, policy), escalation_at(m, policy)) if t is not None]


def next_deadline(state: PlanState) -> datetime | None:
    """Earliest instant at which due_events() would yield something; None when nothing is
    pending (any phase but implementation). May be in the past: then it is due now."""
    if state.phase is not Phase.IMPLEMENTATION:
        return None
    policy = state.reminder_policy
    pending = [evaluation_at(state)]
    for m in state.milestones.values():
        pending.extend(_milestone_deadlines(m, policy))
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
            events.append(
                MilestoneOverdue(
                    milestone_id=m.milestone_id,
                    due_date=m.due_date,
                    overdue_since=overdue_since,
                    at=now,
                )
            )
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
        events.append(
            MilestoneEscalated(
                milestone_id=m.milestone_id,
                due_date=m.due_date,
                overdue_since=overdue_since,
                at=now,
            )
        )
    return events


def _reminder(
    m: MilestoneState, kind: Literal["due_soon", "overdue"], now: datetime
) -> ReminderSent:
    return ReminderSent(milestone_id=m.milestone_id, kind=kind, due_date=m.due_date, at=now)


def due_events(state: PlanState, now: datetime) -> list[Event]:
    """Everything due at ``now`` (aware UTC), in a deterministic order: milestones by due date
    then id, each overdue -> reminder -> escalation; evaluation_started last, since it ends
    the implementation phase and with it all reminders."""
    if now.tzinfo is None:
        raise ValueError("due_events() needs an aware UTC instant")
    if state.phase is not Phase.IMPLEMENTATION:
        return []
    policy = state.reminder_policy
    events: list[Event] = []
    for m in sorted(state.milestones.values(), key=lambda m: (m.due_date, m.milestone_id)):
        events.extend(_milestone_events(m, policy, now))
    if now >= evaluation_at(state):
        events.append(EvaluationStarted(actor=SYSTEM_ACTOR.name, at=now))
    return events
