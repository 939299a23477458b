"""The calendar a plan lives in: which dates and periods the rules accept.

Every deadline the timers compute is a plan date moved by at most a year (due-soon,
escalation and repeat offsets are bounded by the reminder policy's MAX_POLICY_DAYS) or by
one day (the day after a due date or period_end). A date outside [EARLIEST_DATE,
LATEST_DATE] could push such a deadline off Python's calendar (year 1 to 9999) and wedge
the plan's workflow with an OverflowError, so decide() refuses it first.
"""

from __future__ import annotations

from datetime import date, timedelta

from domain import errors as r
from domain.errors import DomainError

# The plan id carries a four-digit year of period_start, so nothing before year 1000.
EARLIEST_DATE = date(1000, 1, 1)
# Several years of margin before 9999-12-31 for offsets of up to MAX_POLICY_DAYS each.
LATEST_DATE = date(9990, 12, 31)
MAX_PERIOD_YEARS = 15


def check_in_calendar(field: str, day: date) -> None:
    """Refuse ``day`` (the command's ``field``) when its deadlines could not be computed."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise DomainError(
            r.DATE_OUT_OF_RANGE,
            f"The {field.replace('_', ' ')} {day} is outside the dates a plan can hold "
            f"({EARLIEST_DATE} to {LATEST_DATE}).",
            {
                "field": field,
                "value": day.isoformat(),
                "earliest": EARLIEST_DATE.isoformat(),
                "latest": LATEST_DATE.isoformat(),
            },
        )


def period_limit(period_start: date) -> date:
    """The last day a period starting on ``period_start`` may end (15 years, less a day)."""
    year = period_start.year + MAX_PERIOD_YEARS
    if year > date.max.year:
        return date.max  # LATEST_DATE then bounds period_end anyway
    try:
        return period_start.replace(year=year) - timedelta(days=1)
    except ValueError:  # 29 February, fifteen years on, is not a leap day
        return date(year, 2, 28)


def check_period_order(period_start: date, period_end: date) -> None:
    """period_end after period_start (rule ``invalid_period``)."""
    if period_end <= period_start:
        raise DomainError(
            r.INVALID_PERIOD,
            f"The plan period must end after it starts ({period_start} to {period_end}).",
            {"period_start": period_start.isoformat(), "period_end": period_end.isoformat()},
        )


def check_period(period_start: date, period_end: date) -> None:
    """Both ends in the calendar; period_end after period_start; at most 15 years long."""
    check_in_calendar("period_start", period_start)
    check_in_calendar("period_end", period_end)
    check_period_order(period_start, period_end)
    latest_end = period_limit(period_start)
    if period_end > latest_end:
        raise DomainError(
            r.PERIOD_TOO_LONG,
            f"A plan period is at most {MAX_PERIOD_YEARS} years; one starting on "
            f"{period_start} ends by {latest_end}, not {period_end}.",
            {
                "period_start": period_start.isoformat(),
                "period_end": period_end.isoformat(),
                "latest_period_end": latest_end.isoformat(),
            },
        )


def check_measured_on(period_start: date, measured_on: date, today: date) -> None:
    """A measurement belongs to the plan's time: not before period_start, not in the future."""
    day = {"measured_on": measured_on.isoformat()}
    if measured_on < period_start:
        raise DomainError(
            r.MEASURED_BEFORE_PERIOD,
            f"A measurement dated {measured_on} is before the plan period starts on "
            f"{period_start}.",
            {**day, "period_start": period_start.isoformat()},
        )
    if measured_on > today:
        raise DomainError(
            r.MEASURED_IN_FUTURE,
            f"A measurement cannot be dated in the future ({measured_on}).",
            {**day, "today": today.isoformat()},
        )
