"""Send a command to its plan's workflow as a Temporal Update and map the answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from opentelemetry import trace
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError, refusal
from api.request_context import current_request_id
from contracts.idempotency import command_fingerprint
from contracts.temporal import (
    CommandRequest,
    CommandResult,
    EventOut,
    PlanWorkflowInput,
    PlanWorkflowStatus,
    stream_id_for,
    workflow_id_for,
)
from domain import Actor, Command, DomainError, OpenPlan, decide
from eventstore import EventStore
from workflows.plan import PlanWorkflow

log = structlog.get_logger(__name__)


def _current_trace() -> tuple[str | None, str | None]:
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None, None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def _from_update_failure(error: WorkflowUpdateFailedError) -> ApiError:
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.type == "DomainError":
        refused: dict[str, Any] = cause.details[0] if cause.details else {}
        return refusal(
            str(refused.get("rule", "refused")),
            str(refused.get("message", cause)),
            refused.get("details"),
        )
    log.error("command failed in the workflow", error=str(cause))
    return ApiError(503, "unavailable", "The command could not be completed; try again.")


# How long a caller waits for the workflow's answer. An accepted update is durable, so a
# command cut off here may still be applied; a retry with the same command_id is safe.
COMMAND_DEADLINE_SECONDS = 30.0

# (outcome, rule, command type): outcome is accepted, replayed, refused or failed.
CommandObserver = Callable[[str, str | None, str], None]


async def dispatch(
    client: Client,
    task_queue: str,
    plan_id: str,
    command: Command,
    actor: Actor,
    *,
    observe: CommandObserver | None = None,
    confirmed_by: str | None = None,
) -> CommandResult:
    """Send one command to its plan's workflow; tell ``observe`` how it ended."""
    try:
        try:
            result = await asyncio.wait_for(
                _send(client, task_queue, plan_id, command, actor, confirmed_by),
                COMMAND_DEADLINE_SECONDS,
            )
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            # The SDK turns the cancelled wait into its own error; both mean "no answer".
            raise ApiError(
                503,
                "timeout",
                f"Plan {plan_id} did not answer within {COMMAND_DEADLINE_SECONDS:.0f} s (is a "
                "worker running?). The command may still be applied: retry it with the same "
                "command_id or Idempotency-Key, which is safe.",
            ) from None
    except ApiError as error:
        if observe is not None:
            observe("refused" if error.status < 500 else "failed", error.rule, command.type)
        raise
    if observe is not None:
        observe("replayed" if result.replayed else "accepted", None, command.type)
    return result


# The dashboard asks the workflow how its process is doing; it never waits long for that.
STATUS_DEADLINE_SECONDS = 2.0


async def process_status(client: Client, plan_id: str) -> PlanWorkflowStatus | None:
    """The plan workflow's ``status`` query (timer failures, queued notifications), or None
    when the workflow cannot answer now (no worker, Temporal down, plan finished long ago)."""
    handle = client.get_workflow_handle(workflow_id_for(plan_id))
    try:
        return await asyncio.wait_for(handle.query(PlanWorkflow.status), STATUS_DEADLINE_SECONDS)
    except (TimeoutError, RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError):
        return None


async def with_stored_events(result: CommandResult, store: EventStore) -> CommandResult:
    """A replayed answer carries where its events are, not their data: read them back."""
    if not result.replayed or not result.replayed_event_count:
        return result
    first = result.version - result.replayed_event_count + 1
    stored = await store.read_stream(
        stream_id_for(result.plan_id), from_version=first, to_version=result.version
    )
    events = [EventOut.model_validate(event, from_attributes=True) for event in stored]
    return result.model_copy(update={"events": events})


async def _missing_or_finished(client: Client, workflow_id: str, plan_id: str) -> ApiError:
    """Tell a plan that never existed from one whose workflow ended with it (closed or
    cancelled), by the workflow's recorded status rather than the server's wording."""
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return refusal("plan_not_found", f"There is no plan {plan_id}.", {"plan_id": plan_id})
        log.error("temporal refused the call", status=str(error.status), error=error.message)
        return ApiError(503, "unavailable", "The workflow service is unavailable; try again.")
    if description.status == WorkflowExecutionStatus.COMPLETED:
        # The workflow ends with the plan: a closed or cancelled plan takes no commands.
        return refusal(
            "wrong_phase",
            f"Plan {plan_id} is closed or cancelled; it takes no commands.",
            {"plan_id": plan_id},
        )
    # A run that failed (its open_plan never landed) or was terminated holds no plan.
    return refusal("plan_not_found", f"There is no plan {plan_id}.", {"plan_id": plan_id})


async def _send(
    client: Client,
    task_queue: str,
    plan_id: str,
    command: Command,
    actor: Actor,
    confirmed_by: str | None,
) -> CommandResult:
    trace_id, span_id = _current_trace()
    request = CommandRequest(
        plan_id=plan_id,
        command=command,
        actor=actor,
        # The HTTP request's id, so its events can be told apart from other requests'.
        correlation_id=current_request_id(),
        trace_id=trace_id,
        span_id=span_id,
        confirmed_by=confirmed_by,
    )
    workflow_id = workflow_id_for(plan_id)
    # Temporal answers a repeated Update id from its own record, without asking the workflow,
    # so the id holds the command's fingerprint too: only the very same command from the
    # same actor is deduplicated there; any other use of the key reaches the validator,
    # which checks authorization and refuses a reused key.
    update_id = (
        f"{command.command_id}.{command_fingerprint(command, actor)}"
        if command.command_id
        else None
    )
    structlog.contextvars.bind_contextvars(plan_id=plan_id, workflow_id=workflow_id)
    try:
        if isinstance(command, OpenPlan):
            # Decide once here too: an invalid open_plan must not leave a workflow behind.
            try:
                # Without expected_version: on an existing plan the workflow says plan_exists.
                unversioned = command.model_copy(update={"expected_version": None})
                decide(None, unversioned, actor, datetime.now(UTC))
            except DomainError as error:
                raise refusal(error.rule, error.message, error.details) from None
            operation = WithStartWorkflowOperation(
                PlanWorkflow.run,
                PlanWorkflowInput(plan_id=plan_id),
                id=workflow_id,
                task_queue=task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                # A closed or cancelled plan's id is never reused; a run that failed
                # because its open_plan never landed may be opened again.
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            )
            return await client.execute_update_with_start_workflow(
                PlanWorkflow.command, request, start_workflow_operation=operation, id=update_id
            )
        handle = client.get_workflow_handle(workflow_id)
        return await handle.execute_update(PlanWorkflow.command, request, id=update_id)
    except WorkflowUpdateFailedError as error:
        raise _from_update_failure(error) from None
    except WorkflowAlreadyStartedError:
        raise refusal("plan_exists", f"Plan {plan_id} already exists and is finished.") from None
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            # Temporal answers NOT_FOUND both for no workflow and for one that has ended.
            raise await _missing_or_finished(client, workflow_id, plan_id) from None
        if error.status == RPCStatusCode.ALREADY_EXISTS:
            raise refusal("plan_exists", f"Plan {plan_id} already exists.") from None
        log.error("temporal refused the call", status=str(error.status), error=error.message)
        raise ApiError(
            503, "unavailable", "The workflow service is unavailable; try again."
        ) from None
