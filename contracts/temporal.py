"""The Temporal contracts: inputs and results of PlanWorkflow's run, update and query, and
of its activities, and the activities' names.

One pydantic model per call, shared by the API (the caller), the workflow and the
activities. workflows/ and activities/ both import this module and never each other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from contracts.idempotency import CommandMemory
from domain import Actor, Command, PlanState

# Activity names: the workflow calls them by name, the worker registers them under it.
APPEND_EVENTS = "append_events"
DELIVER_NOTIFICATION = "deliver_notification"


def workflow_id_for(plan_id: str) -> str:
    return f"plan-{plan_id}"


def stream_id_for(plan_id: str) -> str:
    return f"plan-{plan_id}"


class CommandRequest(BaseModel):
    plan_id: str
    command: Command
    actor: Actor
    correlation_id: str | None = None
    # W3C ids of the caller's span, stored in event metadata so later handlers of the
    # event (the projector) join the request's trace.
    trace_id: str | None = None
    span_id: str | None = None
    # How the person proved themselves for this command (an approval: "totp" in the
    # dashboard, "token_scope" through the API); kept in the events' metadata.
    confirmed_by: str | None = None


class EventOut(BaseModel):
    """An event as the caller sees it after it was stored."""

    event_id: UUID
    type: str
    version: int
    global_position: int
    occurred_at: datetime
    data: dict[str, Any]


class CommandResult(BaseModel):
    plan_id: str
    version: int
    events: list[EventOut]
    replayed: bool = False
    # A replayed answer names its events by count (they end at ``version``) rather than
    # carrying their data; the API fills ``events`` in from the event store.
    replayed_event_count: int = 0


class NotificationInput(BaseModel):
    """One time-raised event (reminder or escalation) to deliver to its recipients."""

    plan_id: str
    country: str
    event: EventOut
    plan_title: str
    milestone_title: str | None = None
    # For a measurement_due reminder: the indicator's name.
    indicator_name: str | None = None


class QueuedNotification(BaseModel):
    """A delivery the workflow still owes: waiting for its first round, or for a retry."""

    notification: NotificationInput
    # Rounds that failed; each round is one activity with its own bounded retries.
    failed_rounds: int = 0
    retry_at: datetime | None = None
    last_error: str | None = None


class PlanWorkflowInput(BaseModel):
    plan_id: str
    state: PlanState | None = None
    # Receipts of the last keyed commands, so a retried command appends nothing.
    command_memory: CommandMemory = Field(default_factory=CommandMemory)
    # The shape before command_memory (command_id -> first full result): still accepted
    # from a run that continued as new on older code, never written any more.
    recent_commands: dict[str, CommandResult] = Field(default_factory=dict)
    # Deliveries not yet done when the run continued as new.
    notification_queue: list[QueuedNotification] = Field(default_factory=list)
    # Commands handled before the run continues as new (a bound on history size).
    commands_per_run: int = Field(default=500, ge=1)


class PlanWorkflowStatus(BaseModel):
    """How the plan's process is doing, beside its state: the ``status`` query."""

    plan_id: str
    # Consecutive failures of the timer path (deadlines, due events, their append).
    timer_failures: int = 0
    timer_error: str | None = None
    timer_failing_since: datetime | None = None
    timer_retry_at: datetime | None = None
    queued_notifications: int = 0
    # Queued deliveries whose last round failed (each retried later, a bounded number of times).
    failing_notifications: int = 0


class PendingEvent(BaseModel):
    """An event decided by the workflow, before the store gives it a position."""

    event_id: UUID
    type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    occurred_at: datetime


class AppendEventsInput(BaseModel):
    stream_id: str
    expected_version: int
    events: list[PendingEvent]


class AppendEventsResult(BaseModel):
    version: int
    events: list[EventOut]


class NotificationResult(BaseModel):
    recipients: list[str]
    emails_sent: int
