"""Benchmark status (DOMAIN.md "Benchmark status"): pure arithmetic over plan state."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.facts import carried
from domain.keyfactors import KeyFactor
from domain.periods import path_points, path_value
from domain.state import IndicatorFigures, IndicatorState, Measurement, MilestoneState, PlanState

# Thresholds are compared with a little slack: in binary floating point a gap that is
# "exactly 0.10" on paper may come out as 0.10000000000000009, and a person reading the
# numbers expects the boundary to be inclusive as DOMAIN.md says.
EPSILON = 1e-9
ON_TRACK_GAP = 0.10
AT_RISK_GAP = 0.25


class BenchmarkStatus(StrEnum):
    OFF_TRACK = "off_track"
    AT_RISK = "at_risk"
    NO_DATA = "no_data"
    ON_TRACK = "on_track"
    ACHIEVED = "achieved"
    NOT_COVERED = "not_covered"


# Worst first: a key factor shows the worst of its indicators.
STATUS_ORDER: tuple[BenchmarkStatus, ...] = (
    BenchmarkStatus.OFF_TRACK,
    BenchmarkStatus.AT_RISK,
    BenchmarkStatus.NO_DATA,
    BenchmarkStatus.ON_TRACK,
    BenchmarkStatus.ACHIEVED,
)

# Best first, not_covered last: the order counts of statuses are shown and stacked in.
STATUSES_BEST_FIRST: tuple[BenchmarkStatus, ...] = (
    *reversed(STATUS_ORDER),
    BenchmarkStatus.NOT_COVERED,
)


class IndicatorBenchmark(IndicatorFigures):
    target_revised: bool
    latest_value: float | None
    latest_measured_on: date | None
    progress: float | None
    expected: float | None
    gap: float | None
    status: BenchmarkStatus


class KeyFactorBenchmark(BaseModel):
    model_config = ConfigDict(frozen=True)

    key_factor: KeyFactor
    status: BenchmarkStatus
    indicators: list[IndicatorBenchmark]
    milestones_total: int
    milestones_completed: int
    milestones_overdue: int


def latest_measurement(indicator: IndicatorState) -> Measurement | None:
    """Latest measured_on; ties go to the later recording (list order is recording order)."""
    latest: Measurement | None = None
    for m in indicator.measurements:
        if latest is None or (m.measured_on, m.recorded_at) >= (
            latest.measured_on,
            latest.recorded_at,
        ):
            latest = m
    return latest


def progress_of(value: float, baseline: float, target: float) -> float:
    """(v - b) / (t - b). A target equal to the baseline is refused by the rules; should one
    appear anyway, reaching it counts as done rather than dividing by zero."""
    if target == baseline:
        return 1.0 if value == target else 0.0
    return (value - baseline) / (target - baseline)


def expected_of(measured_on: date, period_start: date, period_end: date) -> float:
    """Share of the period elapsed on the measurement date, clamped to [0, 1]."""
    span = (period_end - period_start).days
    if span <= 0:
        return 1.0
    return min(1.0, max(0.0, (measured_on - period_start).days / span))


def expected_on_path(
    indicator: IndicatorState, measured_on: date, period_start: date, period_end: date
) -> float:
    """``clamp((path(measured_on) - b) / (t - b), 0, 1)`` with the indicator's target path.

    Without period targets the path is the straight line from b to t, which is exactly the
    share of the period elapsed: that formula is used as it was, to the last bit."""
    b, t = indicator.baseline, indicator.target
    if not indicator.period_targets or t == b:
        return expected_of(measured_on, period_start, period_end)
    points = path_points(b, t, indicator.period_targets, period_start, period_end)
    return min(1.0, max(0.0, (path_value(points, measured_on) - b) / (t - b)))


def status_of(progress: float, expected: float) -> BenchmarkStatus:
    if progress >= 1 - EPSILON:
        return BenchmarkStatus.ACHIEVED
    gap = expected - progress
    if gap <= ON_TRACK_GAP + EPSILON:
        return BenchmarkStatus.ON_TRACK
    if gap <= AT_RISK_GAP + EPSILON:
        return BenchmarkStatus.AT_RISK
    return BenchmarkStatus.OFF_TRACK


def _measured(
    indicator: IndicatorState, period_start: date, period_end: date
) -> tuple[Measurement | None, float | None, float | None, BenchmarkStatus]:
    """The latest measurement, progress, expected and status: the benchmark formula, once
    for indicator_status and key_factor_statuses."""
    latest = latest_measurement(indicator)
    if latest is None:
        return None, None, None, BenchmarkStatus.NO_DATA
    progress = progress_of(latest.value, indicator.baseline, indicator.target)
    expected = expected_on_path(indicator, latest.measured_on, period_start, period_end)
    return latest, progress, expected, status_of(progress, expected)


def indicator_status(
    indicator: IndicatorState, period_start: date, period_end: date
) -> IndicatorBenchmark:
    latest, progress, expected, status = _measured(indicator, period_start, period_end)
    gap = None if progress is None or expected is None else expected - progress
    return carried(
        IndicatorBenchmark,
        indicator,
        target_revised=indicator.target != indicator.original_target,
        latest_value=None if latest is None else latest.value,
        latest_measured_on=None if latest is None else latest.measured_on,
        progress=progress,
        expected=expected,
        gap=gap,
        status=status,
    )


def worst_status(statuses: list[BenchmarkStatus]) -> BenchmarkStatus:
    if not statuses:
        return BenchmarkStatus.NOT_COVERED
    return min(statuses, key=STATUS_ORDER.index)


def key_factor_status(state: PlanState) -> dict[KeyFactor, KeyFactorBenchmark]:
    """All ten key factors, in declaration order."""
    # One pass over the indicators (by id) and milestones (in order), grouped by key factor:
    # a rebuild derives this for every plan and for every quarter end it fixes.
    indicators_of: dict[KeyFactor, list[IndicatorBenchmark]] = {kf: [] for kf in KeyFactor}
    for i in sorted(state.indicators.values(), key=lambda i: i.indicator_id):
        benchmark = indicator_status(i, state.period_start, state.period_end)
        indicators_of[i.key_factor].append(benchmark)
    milestones_of: dict[KeyFactor, list[MilestoneState]] = {kf: [] for kf in KeyFactor}
    for m in state.milestones.values():
        milestones_of[m.key_factor].append(m)
    result: dict[KeyFactor, KeyFactorBenchmark] = {}
    for kf in KeyFactor:
        indicators, milestones = indicators_of[kf], milestones_of[kf]
        result[kf] = KeyFactorBenchmark(
            key_factor=kf,
            status=worst_status([i.status for i in indicators]),
            indicators=indicators,
            milestones_total=len(milestones),
            milestones_completed=sum(m.status == "completed" for m in milestones),
            milestones_overdue=sum(m.is_overdue for m in milestones),
        )
    return result


def key_factor_statuses(state: PlanState) -> dict[KeyFactor, BenchmarkStatus]:
    """``key_factor_status(state)[kf].status`` for every key factor, without building the
    benchmarks: the portfolio trend needs only the statuses, for every quarter end a
    rebuild fixes (tens of thousands of plan states at ten-year histories)."""
    statuses: dict[KeyFactor, list[BenchmarkStatus]] = {kf: [] for kf in KeyFactor}
    for i in state.indicators.values():
        statuses[i.key_factor].append(_measured(i, state.period_start, state.period_end)[3])
    return {kf: worst_status(found) for kf, found in statuses.items()}
