"""The portfolio trend: each plan's key factor statuses as of every quarter end since it
opened. Pure: no I/O.

"As of" means what ``projections.history.replay_plan`` means: the events *recorded* up to
the instant. The instant of a quarter end (31 March, 30 June, 30 September, 31 December)
is the last microsecond of that day in UTC, so the state as of quarter end ``q`` is the
fold of the plan's events with ``recorded_at < boundary(q)`` (00:00 UTC the day after).

A quarter end is fixed by the first event of the plan recorded at or after its boundary:
the state just before that event is the state as of the quarter end, and it never changes
afterwards (events are never edited). Quarter ends that have passed since the plan's last
event are not stored: their state is the current one (``open_quarter_ends``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from domain import PlanState
from domain.benchmarks import key_factor_statuses

TREND_COLUMNS = ("plan_id", "quarter_end", "key_factor", "status")
QUARTER_END_MONTHS = (3, 6, 9, 12)


def boundary(quarter_end: date) -> datetime:
    """00:00 UTC the day after the quarter end: events recorded before it count."""
    return datetime.combine(quarter_end + timedelta(days=1), time(), tzinfo=UTC)


def as_of_instant(quarter_end: date) -> datetime:
    """The last instant of the quarter end (PostgreSQL keeps microseconds), for replay_plan."""
    return boundary(quarter_end) - timedelta(microseconds=1)


def _quarter_end_on_or_after(day: date) -> date:
    month = next(m for m in QUARTER_END_MONTHS if m >= day.month)
    if month == 12:
        return date(day.year, 12, 31)
    return date(day.year, month + 1, 1) - timedelta(days=1)


def quarter_ends_between(after: datetime, up_to: datetime) -> Iterator[date]:
    """Quarter ends whose boundary falls in (after, up_to]: those an event recorded at
    ``up_to`` fixes when the plan's previous event was recorded at ``after``."""
    after_utc, up_to_utc = after.astimezone(UTC), up_to.astimezone(UTC)
    # The quarter end on or after the day of ``after``: its boundary is later than ``after``.
    quarter_end = _quarter_end_on_or_after(after_utc.date())
    while boundary(quarter_end) <= up_to_utc:
        yield quarter_end
        quarter_end = _quarter_end_on_or_after(quarter_end + timedelta(days=1))


def first_boundary_after(instant: datetime) -> datetime:
    """The boundary of the first quarter end after ``instant``: quarter_ends_between
    (instant, t) is empty for every t before it."""
    return boundary(_quarter_end_on_or_after(instant.astimezone(UTC).date()))


def open_quarter_ends(last_recorded_at: datetime, now: datetime) -> list[date]:
    """Quarter ends passed since the plan's last event: the current state holds for them."""
    return list(quarter_ends_between(last_recorded_at, now))


def trend_rows(state: PlanState, quarter_ends: list[date]) -> list[tuple[Any, ...]]:
    """Rows for the quarter ends ``state`` is the state as of (one row per key factor)."""
    if not quarter_ends:
        return []
    statuses = [(kf.value, status.value) for kf, status in key_factor_statuses(state).items()]
    return [
        (state.plan_id, quarter_end, key_factor, status)
        for quarter_end in quarter_ends
        for key_factor, status in statuses
    ]
