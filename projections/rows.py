"""Read-model rows derived from one plan's domain state: pure, no I/O.

Every row is a function of (PlanState, last event), so writing a plan's rows again from the
same state is idempotent, and a rebuild equals the incremental result by construction.
The tuples follow the column lists below, which follow migrations/0001_read_models.sql.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from domain import Approval, BenchmarkStatus, KeyFactorBenchmark, Measurement, PlanState
from domain.benchmarks import key_factor_status, worst_status
from projections.results import reporting_period_rows

SUMMARY_COLUMNS = (
    "plan_id",
    "country",
    "administration",
    "title",
    "phase",
    "version",
    "period_start",
    "period_end",
    "opened_by",
    "opened_at",
    "submitted_by",
    "submitted_at",
    "approvals",
    "approved_at",
    "milestones_total",
    "milestones_completed",
    "milestones_overdue",
    "indicators_total",
    "worst_status",
    "last_event_type",
    "last_occurred_at",
    "last_recorded_at",
    "last_position",
    "state",
    "donors",
)
MILESTONE_COLUMNS = (
    "plan_id",
    "milestone_id",
    "ordinal",
    "country",
    "title",
    "key_factor",
    "description",
    "status",
    "percent",
    "due_date",
    "original_due_date",
    "overdue_since",
    "reminders_sent",
    "escalated",
    "times_rescheduled",
    "last_note",
    "completed_at",
    "completed_by",
    "evidence",
)
INDICATOR_COLUMNS = (
    "plan_id",
    "indicator_id",
    "ordinal",
    "name",
    "key_factor",
    "unit",
    "source",
    "baseline",
    "target",
    "original_target",
    "target_revised",
    "latest_value",
    "latest_measured_on",
    "progress",
    "expected",
    "gap",
    "status",
    "measurements",
)
BENCHMARK_COLUMNS = (
    "plan_id",
    "key_factor",
    "ordinal",
    "status",
    "indicators",
    "milestones_total",
    "milestones_completed",
    "milestones_overdue",
    "rating",
)

_APPROVALS: TypeAdapter[list[Approval]] = TypeAdapter(list[Approval])
_MEASUREMENTS: TypeAdapter[list[Measurement]] = TypeAdapter(list[Measurement])


@dataclass(frozen=True, slots=True)
class LastEvent:
    """The plan's latest event: the summary's "last change"."""

    type: str
    occurred_at: datetime
    recorded_at: datetime
    position: int


@dataclass(slots=True)
class PlanRows:
    """Rows of every table for a set of plans, ready for COPY."""

    summary: list[tuple[Any, ...]]
    milestones: list[tuple[Any, ...]]
    indicators: list[tuple[Any, ...]]
    benchmarks: list[tuple[Any, ...]]
    reporting_periods: list[tuple[Any, ...]]
    # Trend rows (projections.trend) fixed since the last write: appended, never replaced.
    trend: list[tuple[Any, ...]] = field(default_factory=list)

    @classmethod
    def empty(cls) -> PlanRows:
        return cls([], [], [], [], [])

    def add(self, state: PlanState, last: LastEvent) -> None:
        benchmarks = key_factor_status(state)
        self.summary.append(_summary(state, last, benchmarks))
        self.milestones.extend(_milestones(state))
        self.indicators.extend(_indicators(state, benchmarks))
        self.benchmarks.extend(_benchmarks(state, benchmarks))
        self.reporting_periods.extend(reporting_period_rows(state))


def worst_key_factor_status(benchmarks: dict[Any, KeyFactorBenchmark]) -> BenchmarkStatus:
    """Worst status over the key factors that have indicators; not_covered when none has."""
    covered: list[BenchmarkStatus] = [
        b.status for b in benchmarks.values() if b.status != BenchmarkStatus.NOT_COVERED
    ]
    return worst_status(covered)


def _summary(
    state: PlanState, last: LastEvent, benchmarks: dict[Any, KeyFactorBenchmark]
) -> tuple[Any, ...]:
    milestones = state.milestones.values()
    return (
        state.plan_id,
        state.country,
        state.administration,
        state.title,
        state.phase.value,
        state.version,
        state.period_start,
        state.period_end,
        state.opened_by,
        state.opened_at,
        state.submitted_by,
        state.submitted_at,
        _APPROVALS.dump_json(state.approvals).decode(),
        state.approved_at,
        len(state.milestones),
        sum(m.status == "completed" for m in milestones),
        sum(m.is_overdue for m in milestones),
        len(state.indicators),
        worst_key_factor_status(benchmarks).value,
        last.type,
        last.occurred_at,
        last.recorded_at,
        last.position,
        state.model_dump_json(),
        list(state.donors),
    )


def _milestones(state: PlanState) -> list[tuple[Any, ...]]:
    return [
        (
            state.plan_id,
            m.milestone_id,
            ordinal,
            state.country,
            m.title,
            m.key_factor.value,
            m.description,
            m.status,
            m.percent,
            m.due_date,
            m.original_due_date,
            m.overdue_since,
            m.reminders_sent,
            m.escalated,
            m.times_rescheduled,
            m.last_note,
            m.completed_at,
            m.completed_by,
            m.evidence,
        )
        # Dicts keep insertion order: ordinal is the order the milestones were added.
        for ordinal, m in enumerate(state.milestones.values())
    ]


def _indicators(
    state: PlanState, benchmarks: dict[Any, KeyFactorBenchmark]
) -> list[tuple[Any, ...]]:
    computed = {i.indicator_id: i for b in benchmarks.values() for i in b.indicators}
    rows = []
    for ordinal, indicator in enumerate(state.indicators.values()):
        b = computed[indicator.indicator_id]
        # Charts want time order; ties keep recording order (sorted is stable).
        measurements = sorted(indicator.measurements, key=lambda m: m.measured_on)
        rows.append(
            (
                state.plan_id,
                b.indicator_id,
                ordinal,
                b.name,
                b.key_factor.value,
                b.unit,
                indicator.source,
                b.baseline,
                b.target,
                b.original_target,
                b.target_revised,
                b.latest_value,
                b.latest_measured_on,
                b.progress,
                b.expected,
                b.gap,
                b.status.value,
                _MEASUREMENTS.dump_json(measurements).decode(),
            )
        )
    return rows


def _benchmarks(
    state: PlanState, benchmarks: dict[Any, KeyFactorBenchmark]
) -> list[tuple[Any, ...]]:
    rows = []
    for ordinal, (key_factor, b) in enumerate(benchmarks.items()):
        rating = state.ratings.get(key_factor)
        rows.append(
            (
                state.plan_id,
                key_factor.value,
                ordinal,
                b.status.value,
                len(b.indicators),
                b.milestones_total,
                b.milestones_completed,
                b.milestones_overdue,
                None if rating is None else rating.rating.value,
            )
        )
    return rows
