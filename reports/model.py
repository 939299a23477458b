"""What a report is about (scope, period) and what it is computed from (plan snapshots)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator

from domain import KeyFactorBenchmark, PlanState


class ScopeKind(StrEnum):
    PLAN = "plan"
    PROGRAMME = "programme"


class ReportScope(BaseModel):
    """One plan, or every plan of the programme (a donor's set once plans carry donors)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ScopeKind
    plan_id: str | None = None

    @model_validator(mode="after")
    def _plan_id_iff_plan(self) -> Self:
        if (self.kind is ScopeKind.PLAN) != (self.plan_id is not None):
            raise ValueError("a plan scope names exactly one plan_id; a programme scope none")
        return self

    @property
    def label(self) -> str:
        return f"plan {self.plan_id}" if self.plan_id else "the whole programme"


class ReportPeriod(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError("the period must end on or after its start")
        return self

    def closing_instant(self) -> datetime:
        """The last instant of the period's last day (UTC): "as of 31 Dec" includes 31 Dec."""
        return datetime.combine(self.end, time.max, tzinfo=UTC)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


class PlanPin(BaseModel):
    """Where one plan's history stood for the report: its version and that event's hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan_id: str
    version: int
    head_hash: str


class PlanSnapshot(BaseModel):
    """A plan folded from its events up to ``pin.version``, with its benchmarks."""

    model_config = ConfigDict(frozen=True)

    pin: PlanPin
    state: PlanState
    benchmarks: list[KeyFactorBenchmark]


class ReportRequest(BaseModel):
    """Everything the files depend on besides the snapshots: who asked for what, as of when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    report_id: str
    scope: ReportScope
    period: ReportPeriod
    as_of: datetime
