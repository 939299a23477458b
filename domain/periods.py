"""Reporting periods and the target path of an indicator: pure date arithmetic.

Reporting periods run from the plan's ``period_start`` in steps of the indicator's
``reporting_frequency`` (3, 6, 12 or 24 months), the last one cut at ``period_end``
(DOMAIN.md). The target path runs linearly from the baseline at ``period_start`` through
each period target ``(due, target)`` to the current target at ``period_end``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from domain.state import IndicatorState, PeriodTarget, ReportingFrequency


@dataclass(frozen=True, slots=True)
class ReportingPeriod:
    """One reporting period, both days inclusive; ``index`` counts from 0."""

    index: int
    starts: date
    ends: date

    def holds(self, day: date) -> bool:
        return self.starts <= day <= self.ends


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day (31 Jan + 1 = 28 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def reporting_periods(
    period_start: date, period_end: date, frequency: ReportingFrequency
) -> list[ReportingPeriod]:
    """Every reporting period of the plan period for ``frequency``, in order."""
    periods: list[ReportingPeriod] = []
    starts = period_start
    while starts <= period_end:
        # Stepping from period_start each time (not from the last start) keeps month ends
        # stable: 31 Jan, 30 Apr, 31 Jul... rather than drifting to the 28th.
        next_start = add_months(period_start, frequency.months * (len(periods) + 1))
        ends = min(next_start - timedelta(days=1), period_end)
        periods.append(ReportingPeriod(len(periods), starts, ends))
        starts = next_start
    return periods


def indicator_periods(
    indicator: IndicatorState, period_start: date, period_end: date
) -> list[ReportingPeriod]:
    return reporting_periods(period_start, period_end, indicator.reporting_frequency)


def path_points(
    baseline: float,
    target: float,
    period_targets: list[PeriodTarget],
    period_start: date,
    period_end: date,
) -> list[tuple[date, float]]:
    """The target path's corners: (period_start, b), each period target, (period_end, t)."""
    return [
        (period_start, baseline),
        *((p.due, p.target) for p in period_targets),
        (period_end, target),
    ]


def path_value(points: list[tuple[date, float]], day: date) -> float:
    """The path's value on ``day``: linear between corners, flat before the first and after
    the last (the benchmark clamps anyway)."""
    if day <= points[0][0]:
        return points[0][1]
    for (d0, v0), (d1, v1) in pairwise(points):
        if day <= d1:
            span = (d1 - d0).days
            if span <= 0:
                return v1
            return v0 + (v1 - v0) * (day - d0).days / span
    return points[-1][1]


def target_for_period(
    indicator: IndicatorState, period: ReportingPeriod, period_start: date, period_end: date
) -> float:
    """What the path expects by the end of ``period`` (the figure reported to donors)."""
    points = path_points(
        indicator.baseline,
        indicator.target,
        indicator.period_targets,
        period_start,
        period_end,
    )
    return path_value(points, period.ends)
