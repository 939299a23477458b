"""The results framework, the diagnostic and reporting periods: views built from plan state.

Pure functions of the domain PlanState the "plans" projection keeps (summary.state), so
the views a reader gets are the projector's, a rebuild gives the same, and a replay as of
a date (projections.history) can build them with the same code. Reporting periods are also
rows of their own (``reporting_periods``), so measurements due across all plans are one
indexed query rather than a fold of every plan.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from domain import BenchmarkStatus, KeyFactor, Phase, PlanState
from domain.benchmarks import indicator_status
from domain.facts import carried
from domain.periods import ReportingPeriod, indicator_periods, target_for_period
from domain.state import (
    IndicatorState,
    MilestoneState,
    MilestoneStatus,
    OutcomeState,
    PeriodTarget,
    ReportingFrequency,
)

# upcoming: not ended yet; measured: a measurement is dated inside it; due: ended, within
# the grace days; missed: the grace days passed without a measurement (measurement_due).
PeriodStatus = Literal["upcoming", "measured", "due", "missed"]

REPORTING_PERIOD_COLUMNS = (
    "plan_id",
    "indicator_id",
    "period_index",
    "country",
    "indicator_name",
    "key_factor",
    "reporting_frequency",
    "starts",
    "ends",
    "due_on",
    "target",
    "measured_value",
    "measured_on",
    "called_for",
)


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class PeriodView(_View):
    index: int
    starts: date
    ends: date
    # Grace days after the end: when measurement_due is raised if still unmeasured.
    due_on: date
    target: float
    measured_value: float | None
    measured_on: date | None
    status: PeriodStatus


class IndicatorResult(_View):
    indicator_id: str
    name: str
    key_factor: KeyFactor
    unit: str
    source: str
    baseline: float
    baseline_date: date | None
    target: float
    original_target: float
    reporting_frequency: ReportingFrequency
    period_targets: list[PeriodTarget]
    original_period_targets: list[PeriodTarget]
    path_revised: bool
    latest_value: float | None
    latest_measured_on: date | None
    progress: float | None
    expected: float | None
    status: BenchmarkStatus
    measurements_due_sent: int
    periods: list[PeriodView]


class MilestoneResult(_View):
    milestone_id: str
    title: str
    key_factor: KeyFactor
    due_date: date
    original_due_date: date
    status: MilestoneStatus
    percent: int
    overdue: bool
    last_note: str
    evidence: str | None


class OutcomeResult(_View):
    outcome_id: str
    title: str
    description: str
    key_factors: list[KeyFactor]
    parent_id: str | None
    # Worst of its own indicators' and its children's (not_covered when it has none).
    status: BenchmarkStatus
    milestones: list[MilestoneResult]
    indicators: list[IndicatorResult]
    outcomes: list[OutcomeResult]


class ResultsFramework(_View):
    plan_id: str
    phase: Phase
    period_start: date
    period_end: date
    measurement_grace_days: int
    outcomes: list[OutcomeResult]
    # Milestones and indicators that name no outcome (all of them in a flat plan).
    unassigned_milestones: list[MilestoneResult]
    unassigned_indicators: list[IndicatorResult]


class DiagnosticEntry(_View):
    key_factor: KeyFactor
    label: str
    start_maturity: int | None
    start_summary: str | None
    start_recorded_by: str | None
    final_maturity: int | None
    final_summary: str | None
    final_recorded_by: str | None
    # final - start, when both are known.
    change: int | None


class Diagnostic(_View):
    plan_id: str
    phase: Phase
    completed_at: Any
    key_factors: list[DiagnosticEntry]


class MeasurementDueItem(_View):
    plan_id: str
    country: str
    plan_title: str
    indicator_id: str
    indicator_name: str
    key_factor: KeyFactor
    reporting_frequency: ReportingFrequency
    period_starts: date
    period_ends: date
    due_on: date
    target: float
    # due: the period ended, within its grace days; overdue: measurement_due was raised or
    # the grace days passed.
    status: Literal["due", "overdue"]


STATUS_WORST_FIRST = (
    BenchmarkStatus.OFF_TRACK,
    BenchmarkStatus.AT_RISK,
    BenchmarkStatus.NO_DATA,
    BenchmarkStatus.ON_TRACK,
    BenchmarkStatus.ACHIEVED,
)


def _worst(statuses: list[BenchmarkStatus]) -> BenchmarkStatus:
    known = [s for s in statuses if s in STATUS_WORST_FIRST]
    return min(known, key=STATUS_WORST_FIRST.index) if known else BenchmarkStatus.NOT_COVERED


def due_on(period: ReportingPeriod, grace_days: int) -> date:
    """The day measurement_due is raised for an unmeasured period (domain.timers)."""
    return period.ends + timedelta(days=1 + grace_days)


def _period_views(state: PlanState, i: IndicatorState, today: date) -> list[PeriodView]:
    grace = state.reminder_policy.measurement_grace_days
    views = []
    for p in indicator_periods(i, state.period_start, state.period_end):
        inside = [m for m in i.measurements if p.holds(m.measured_on)]
        latest = max(inside, key=lambda m: (m.measured_on, m.recorded_at)) if inside else None
        called_for = i.measurement_due_through is not None and p.ends <= i.measurement_due_through
        status: PeriodStatus
        if latest is not None:
            status = "measured"
        elif called_for or today >= due_on(p, grace):
            status = "missed"
        elif today > p.ends:
            status = "due"
        else:
            status = "upcoming"
        views.append(
            PeriodView(
                index=p.index,
                starts=p.starts,
                ends=p.ends,
                due_on=due_on(p, grace),
                target=target_for_period(i, p, state.period_start, state.period_end),
                measured_value=None if latest is None else latest.value,
                measured_on=None if latest is None else latest.measured_on,
                status=status,
            )
        )
    return views


def indicator_result(state: PlanState, i: IndicatorState, today: date) -> IndicatorResult:
    b = indicator_status(i, state.period_start, state.period_end)
    return carried(
        IndicatorResult,
        i,
        path_revised=i.period_targets != i.original_period_targets,
        # The benchmark's reading of the latest measurement against the path.
        **b.model_dump(
            include={"latest_value", "latest_measured_on", "progress", "expected", "status"}
        ),
        periods=_period_views(state, i, today),
    )


def milestone_result(m: MilestoneState) -> MilestoneResult:
    return carried(MilestoneResult, m, overdue=m.is_overdue)


def _outcome(
    state: PlanState,
    o: OutcomeState,
    indicators: dict[str, IndicatorResult],
) -> OutcomeResult:
    children = [
        _outcome(state, c, indicators)
        for c in state.outcomes.values()
        if c.parent_id == o.outcome_id
    ]
    own = [indicators[i] for i, v in state.indicators.items() if v.outcome_id == o.outcome_id]
    return carried(
        OutcomeResult,
        o,
        status=_worst([i.status for i in own] + [c.status for c in children]),
        milestones=[
            milestone_result(m) for m in state.milestones.values() if m.outcome_id == o.outcome_id
        ],
        indicators=own,
        outcomes=children,
    )


def results_framework(state: PlanState, today: date) -> ResultsFramework:
    """The outcome tree (general -> specific) in the order outcomes were added, each with
    its milestones and indicators, targets per period and the status of each."""
    indicators = {i: indicator_result(state, v, today) for i, v in state.indicators.items()}
    known = state.outcomes
    return ResultsFramework(
        plan_id=state.plan_id,
        phase=state.phase,
        period_start=state.period_start,
        period_end=state.period_end,
        measurement_grace_days=state.reminder_policy.measurement_grace_days,
        outcomes=[_outcome(state, o, indicators) for o in known.values() if o.parent_id is None],
        unassigned_milestones=[
            milestone_result(m)
            for m in state.milestones.values()
            if m.outcome_id is None or m.outcome_id not in known
        ],
        unassigned_indicators=[
            indicators[i]
            for i, v in state.indicators.items()
            if v.outcome_id is None or v.outcome_id not in known
        ],
    )


def diagnostic(state: PlanState) -> Diagnostic:
    """Maturity per key factor at the diagnostic and at the final assessment."""
    entries = []
    for kf in KeyFactor:
        start = state.findings.get(kf)
        final = state.final_assessments.get(kf)
        entries.append(
            DiagnosticEntry(
                key_factor=kf,
                label=kf.label,
                start_maturity=None if start is None else start.maturity,
                start_summary=None if start is None else start.summary,
                start_recorded_by=None if start is None else start.recorded_by,
                final_maturity=None if final is None else final.maturity,
                final_summary=None if final is None else final.summary,
                final_recorded_by=None if final is None else final.recorded_by,
                change=None if start is None or final is None else final.maturity - start.maturity,
            )
        )
    return Diagnostic(
        plan_id=state.plan_id,
        phase=state.phase,
        completed_at=state.diagnostic_completed_at,
        key_factors=entries,
    )


def reporting_period_rows(state: PlanState) -> list[tuple[Any, ...]]:
    """One row per reporting period of every indicator (REPORTING_PERIOD_COLUMNS)."""
    grace = state.reminder_policy.measurement_grace_days
    rows = []
    # The periods depend on the frequency alone (domain.periods.indicator_periods): worked
    # out once per frequency, not per indicator (a rebuild derives this for every plan).
    periods_of: dict[ReportingFrequency, list[ReportingPeriod]] = {}
    for i in state.indicators.values():
        days = [m for m in i.measurements]
        periods = periods_of.get(i.reporting_frequency)
        if periods is None:
            periods = indicator_periods(i, state.period_start, state.period_end)
            periods_of[i.reporting_frequency] = periods
        for p in periods:
            inside = [m for m in days if p.holds(m.measured_on)]
            latest = max(inside, key=lambda m: (m.measured_on, m.recorded_at)) if inside else None
            called_for = (
                i.measurement_due_through is not None and p.ends <= i.measurement_due_through
            )
            rows.append(
                (
                    state.plan_id,
                    i.indicator_id,
                    p.index,
                    state.country,
                    i.name,
                    i.key_factor.value,
                    i.reporting_frequency.value,
                    p.starts,
                    p.ends,
                    due_on(p, grace),
                    target_for_period(i, p, state.period_start, state.period_end),
                    None if latest is None else latest.value,
                    None if latest is None else latest.measured_on,
                    called_for,
                )
            )
    return rows
