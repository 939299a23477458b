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


class PlanWorkflowInput(BaseModel):
    plan_id: str
    state: PlanState | None = None
    # command_id -> first result, so a retried command appends nothing.
    recent_commands: dict[str, CommandResult] = Field(default_factory=dict)
    # Commands handled before the run continues as new (a bound on history size).
    commands_per_run: int = Field(default=500, ge=1)


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


class NotificationInput(BaseModel):
    """One time-raised event (reminder or escalation) to deliver to its recipients."""

    plan_id: str
    country: str
    event: EventOut
    plan_title: str
    milestone_title: str | None = None


class NotificationResult(BaseModel):
    recipients: list[str]
    emails_sent: int
