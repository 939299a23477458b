"""What every operation of the JSON API answers, as pydantic models: the OpenAPI document
is derived from these, so a client generated from it gets typed results, and a response
that strays from its model fails the schema-conformance checks (tests/reliability).

The read models themselves are projections.views' (and the domain's); this module wraps
them in the envelopes the routes answer (pages, a plan's lists) and types the answers that
were built as dictionaries (replay, verification, checkpoints, refused attempts).

Every model forbids fields it does not declare (``additionalProperties: false`` in the
document), so a field added to an answer without its schema is caught by the tests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from activities.notification_records import NotificationView
from domain import (
    Approval,
    BenchmarkStatus,
    KeyFactor,
    KeyFactorBenchmark,
    PlanState,
    Role,
)
from eventstore import VerifyReport
from projections import views
from projections.portfolio import PortfolioPlan, QuarterStatuses
from projections.portfolio_totals import QuarterCounts


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(Answer):
    """The page fields beside every list; the same links are in the ``Link`` header."""

    limit: int = Field(description="Page size asked for")
    offset: int = Field(description="Items skipped")
    next_offset: int | None = Field(description="The next page's offset; null on the last page")


class PlanOpened(Answer):
    plan_id: str = Field(examples=["GHA-2027"])
    version: int = Field(examples=[1])


class PlanList(Page):
    plans: list[views.PlanSummary]


class ReplayedPlan(views.PlanHeading, Answer):
    """A plan folded from its stored events up to an instant or a version."""

    submitted_by: str | None
    approvals: list[Approval]
    milestones_total: int
    milestones_completed: int
    milestones_overdue: int
    indicators_total: int
    worst_status: BenchmarkStatus
    last_changed_at: datetime
    as_of: datetime | None = Field(description="The instant asked for (null: by version)")
    as_of_version: int | None
    last_recorded_at: datetime
    benchmarks: list[KeyFactorBenchmark]
    state: PlanState


class PlanMilestones(Answer):
    plan_id: str
    milestones: list[views.MilestoneView]


class PlanIndicators(Answer):
    plan_id: str
    indicators: list[views.IndicatorView]


class PlanBenchmarks(Answer):
    plan_id: str
    key_factors: list[views.KeyFactorView]


class AuditPage(views.AuditTrail):
    next_offset: int | None


class StoredEvent(Answer):
    """An event exactly as stored (not upcast): re-hash it to check ``hash``."""

    event_id: UUID
    stream_id: str
    version: int
    global_position: int
    type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime
    prev_hash: str
    hash: str


class PlanEvents(Answer):
    plan_id: str
    events: list[StoredEvent]


class OverdueMilestoneAnswer(views.OverdueMilestone):
    days_overdue: int = Field(ge=0, description="Whole days since overdue_since")


class OverdueList(Page):
    milestones: list[OverdueMilestoneAnswer]


class NotificationList(Page):
    notifications: list[NotificationView]


class DivergenceAnswer(Answer):
    first_leaf: int
    end_leaf: int
    checkpoint_size: int
    stream_id: str | None
    version: int | None
    global_position: int | None
    detail: str


class WitnessedVerification(Answer):
    """The store held against the witness's cosigned checkpoints."""

    configured: bool = Field(description="false: no witness is configured")
    ok: bool | None = Field(description="null: no witness, or its record could not be read")
    problems: list[str]
    key_pinned: bool | None = None
    events: int | None = None
    streams: int | None = None
    witnessed_size: int | None = None
    checkpoints_matched: int | None = None
    divergence: DivergenceAnswer | None = None


class Verification(VerifyReport):
    witnessed: WitnessedVerification | None = Field(
        default=None, description="Only when the whole store was verified (no plan_id)"
    )


class SigningKeyAnswer(Answer):
    key_id: str
    public_key: str = Field(description="Ed25519 public key, 32 bytes in hex")
    endorsed_by: str | None
    endorsement: str | None


class SigningKeys(Answer):
    keys: list[SigningKeyAnswer]


class CheckpointAnswer(Answer):
    size: int
    prev_size: int
    root_hash: str
    statement: str
    key_id: str
    signature: str
    signed_at: datetime
    witness_key_id: str | None
    cosignature: str | None
    witnessed_at: datetime | None


class Checkpoints(Answer):
    checkpoints: list[CheckpointAnswer]


class RefusedAttempt(Answer):
    command_type: str
    rule: str
    message: str
    actor: str
    role: Role
    plan_id: str
    command_id: str | None
    version: int
    occurred_at: datetime
    hash: str


class RefusedAttempts(Answer):
    attempts: list[RefusedAttempt]
    total: int
    by_rule: dict[str, int]
    sentence: str = Field(examples=["3 refused attempts, 2 four-eyes, 1 not-permitted"])


class Health(Answer):
    postgres: str = Field(examples=["ok"])
    temporal: str = Field(examples=["ok"])


class FeedPage(Answer):
    """A page of the event feed; resume with ``after=<next>``."""

    events: list[StoredEvent] = Field(description="Oldest first, in commit-safe order")
    next: int = Field(
        ge=0,
        description="The position to resume from (after=next); the same as after when "
        "nothing new was committed",
    )
    limit: int


class Portfolio(Answer):
    """A page of the plans the caller may see, with their key factor statuses today (the
    plan page's words), and totals over every such plan: today's statuses per key factor
    and the trend across the plans (counts per status at every quarter end). A plan's own
    trend is ``GET /plans/{id}/trend``."""

    as_of: datetime = Field(description="The instant 'today' is, and the trend runs up to")
    key_factors: list[KeyFactor] = Field(description="The grid's rows, in declaration order")
    plans: list[PortfolioPlan] = Field(description="The grid's columns: this page, by plan id")
    total: int = Field(description="Plans the caller may see with these filters")
    limit: int
    offset: int
    next_offset: int | None
    milestones_overdue: int = Field(description="Overdue milestones over all these plans")
    measurements_due: int = Field(description="Measurements due over all these plans")
    status_counts: dict[KeyFactor, dict[BenchmarkStatus, int]] = Field(
        description="Per key factor, how many of these plans have each status today"
    )
    trend: list[QuarterCounts] = Field(
        description="Per quarter end, oldest first: the plans open by then and how many of "
        "their key factors had each status as of it"
    )


class PlanTrend(Answer):
    """The plan's key factor statuses as of every quarter end since it opened."""

    plan_id: str
    as_of: datetime
    trend: list[QuarterStatuses] = Field(description="Oldest quarter end first")
