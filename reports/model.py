"""What a report is about (scope, period) and what it is computed from (plan snapshots)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator

from domain import KeyFactorBenchmark, PlanState


class ScopeKind(StrEnum):
    PLAN = "plan"
    DONOR = "donor"
    PROGRAMME = "programme"


class ReportScope(BaseModel):
    """One plan, the plans a donor funds (as of the report's instant), or every plan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ScopeKind
    plan_id: str | None = None
    donor: str | None = None

    @model_validator(mode="after")
    def _named_as_the_kind_needs(self) -> Self:
        if (self.kind is ScopeKind.PLAN) != (self.plan_id is not None):
            raise ValueError("a plan scope names exactly one plan_id, other scopes none")
        if (self.kind is ScopeKind.DONOR) != (self.donor is not None):
            raise ValueError("a donor scope names exactly one donor, other scopes none")
        return self

    @property
    def label(self) -> str:
        """In English, for logs and refusals; reports.text.scope_label translates it."""
        if self.plan_id:
            return f"plan {self.plan_id}"
        if self.donor:
            return f"the plans funded by {self.donor}"
        return "the whole programme"

    def includes(self, donors: list[str]) -> bool:
        """Whether a plan with these donors (at the report's instant) is in the scope."""
        return self.donor is None or self.donor in donors


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
    # The issuing person's language (on the manifest; absent there means English).
    language: str = "en"
