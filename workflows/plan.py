"""PlanWorkflow: one per action plan; holds its state, serialises its commands, keeps its timers.

The validator runs domain ``decide()`` so a refused command never enters history; the
handler decides again under the lock (state may have moved since validation), appends
through the ``append_events`` activity and folds the stored events into the state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.names import APPEND_EVENTS, DELIVER_NOTIFICATION
    from domain import (
        SYSTEM_ACTOR,
        Actor,
        DomainError,
        Event,
        Phase,
        PlanState,
        decide,
        due_events,
        event_data,
        evolve,
        next_deadline,
    )
    from domain.events import EVENT_SCHEMA_VERSIONS
    from workflows.models import (
        AppendEventsInput,
        AppendEventsResult,
        CommandRequest,
        CommandResult,
        NotificationInput,
        NotificationResult,
        PendingEvent,
        PlanWorkflowInput,
        stream_id_for,
    )

# How many command results are kept for command_id deduplication.
MAX_RECENT_COMMANDS = 1000
# A workflow started for an open_plan that never arrived gives up after this long.
OPEN_GRACE = timedelta(minutes=5)
TIME_EVENT_RETRY = timedelta(minutes=10)
NOTIFIED_EVENT_TYPES = frozenset({"reminder_sent", "milestone_escalated"})
# workflow.patched id: decide() with the input-bound rules (countries, calendar, period
# length, measured_on before the period; docs/lifecycle.md).
BOUNDED_INPUT_PATCH = "bounded-input-rules"

# An append takes milliseconds; a worker that died mid-append is retried elsewhere after this.
APPEND_TIMEOUT = timedelta(seconds=10)
APPEND_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    non_retryable_error_types=["ConcurrencyError", "DuplicateEventError", "InvalidEventError"],
)


def domain_refusal(error: DomainError) -> ApplicationError:
    # The details travel as the ApplicationError's first detail, so the API maps the
    # refusal from its fields (rule, details) and never from the sentence.
    return ApplicationError(error.message, error.as_json(), type="DomainError", non_retryable=True)


@workflow.defn
class PlanWorkflow:
    @workflow.init
    def __init__(self, input: PlanWorkflowInput) -> None:
        self._plan_id = input.plan_id
        self._state: PlanState | None = input.state
        self._recent: dict[str, CommandResult] = dict(input.recent_commands)
        self._lock = asyncio.Lock()
        self._changed = False
        self._commands_this_run = 0
        # A bound on history per run, beside the SDK's own suggestion; state moves on intact.
        self._commands_per_run = input.commands_per_run

    @workflow.run
    async def run(self, input: PlanWorkflowInput) -> PlanState | None:
        if self._state is None:
            opened = await self._wait(lambda: self._state is not None, OPEN_GRACE)
            if not opened:
                # Fail rather than complete: the id-reuse policy lets a failed run's id be
                # opened again, so a plan whose open_plan never landed keeps its id.
                raise ApplicationError(
                    f"No open_plan reached plan {self._plan_id} within {OPEN_GRACE}.",
                    type="PlanNeverOpened",
                    non_retryable=True,
                )
        while True:
            if self._finished():
                await workflow.wait_condition(workflow.all_handlers_finished)
                return self._state
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    PlanWorkflowInput(
                        plan_id=self._plan_id,
                        state=self._state,
                        recent_commands=self._recent,
                        commands_per_run=self._commands_per_run,
                    )
                )
            self._changed = False
            deadline = next_deadline(self._state) if self._state else None
            timeout = None if deadline is None else max(deadline - workflow.now(), timedelta(0))
            woke = await self._wait(lambda: self._changed, timeout)
            if not woke:
                try:
                    await self._fire_due_events()
                except ActivityError as error:
                    # Only a non-retryable failure gets here (a bug, or a stream written by
                    # someone else). Keep the plan alive and try again later, loudly.
                    workflow.logger.error("time events not stored; retrying: %s", error.cause)
                    await workflow.sleep(TIME_EVENT_RETRY)

    @workflow.query
    def state(self) -> PlanState | None:
        return self._state

    @workflow.update
    async def command(self, request: CommandRequest) -> CommandResult:
        async with self._lock:
            replay = self._replayed(request)
            if replay is not None:
                return replay
            # Histories recorded before the input-bound rules replay with the rules of then
            # (an update accepted then must append again, not be refused now).
            bounded = workflow.patched(BOUNDED_INPUT_PATCH)
            try:
                events = decide(
                    self._state, request.command, request.actor, workflow.now(), bounded=bounded
                )
            except DomainError as error:
                raise domain_refusal(error) from None
            result = await self._append(events, request.actor, request)
            command_id = request.command.command_id
            if command_id is not None:
                self._remember(str(command_id), result)
            self._commands_this_run += 1
            self._changed = True
            return result

    @command.validator
    def validate_command(self, request: CommandRequest) -> None:
        if request.plan_id != self._plan_id:
            raise ApplicationError(
                f"This workflow runs plan {self._plan_id}, not {request.plan_id}.",
                {"rule": "wrong_plan", "message": "command sent to another plan's workflow"},
                type="DomainError",
                non_retryable=True,
            )
        if self._replayed(request) is not None:
            return
        try:
            decide(self._state, request.command, request.actor, workflow.now())
        except DomainError as error:
            raise domain_refusal(error) from None

    def _replayed(self, request: CommandRequest) -> CommandResult | None:
        command_id = request.command.command_id
        if command_id is None:
            return None
        first = self._recent.get(str(command_id))
        return None if first is None else first.model_copy(update={"replayed": True})

    def _remember(self, command_id: str, result: CommandResult) -> None:
        self._recent[command_id] = result
        while len(self._recent) > MAX_RECENT_COMMANDS:
            self._recent.pop(next(iter(self._recent)))

    async def _wait(self, condition: Callable[[], bool], limit: timedelta | None) -> bool:
        try:
            await workflow.wait_condition(condition, timeout=limit)
        except TimeoutError:
            return False
        return True

    def _finished(self) -> bool:
        return self._state is not None and self._state.phase in (Phase.CLOSED, Phase.CANCELLED)

    def _should_continue_as_new(self) -> bool:
        return (
            self._commands_this_run >= self._commands_per_run
            or workflow.info().is_continue_as_new_suggested()
        )

    async def _fire_due_events(self) -> None:
        async with self._lock:
            if self._state is None:
                return
            events = due_events(self._state, workflow.now())
            if not events:
                return
            result = await self._append(events, SYSTEM_ACTOR, None)
        await self._notify(result)

    async def _notify(self, result: CommandResult) -> None:
        state = self._state
        assert state is not None
        for stored in result.events:
            if stored.type not in NOTIFIED_EVENT_TYPES:
                continue
            milestone = state.milestones.get(str(stored.data.get("milestone_id", "")))
            await workflow.execute_activity(
                DELIVER_NOTIFICATION,
                NotificationInput(
                    plan_id=self._plan_id,
                    country=state.country,
                    event=stored,
                    plan_title=state.title,
                    milestone_title=milestone.title if milestone else None,
                ),
                result_type=NotificationResult,
                start_to_close_timeout=timedelta(seconds=60),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)),
            )

    async def _append(
        self, events: list[Event], actor: Actor, request: CommandRequest | None
    ) -> CommandResult:
        now: datetime = workflow.now()
        info = workflow.info()
        expected = self._state.version if self._state else 0
        command_id = request.command.command_id if request else None
        metadata = {
            "actor": actor.name,
            "role": str(actor.role),
            "command_id": str(command_id) if command_id else None,
            "correlation_id": (request.correlation_id if request else None) or info.run_id,
            "causation_id": str(command_id) if command_id else None,
            "workflow_id": info.workflow_id,
            "trace_id": request.trace_id if request else None,
            "span_id": request.span_id if request else None,
        }
        pending = [
            PendingEvent(
                event_id=workflow.uuid4(),
                type=event.type,
                schema_version=EVENT_SCHEMA_VERSIONS.get(event.type, 1),
                data=event_data(event),
                metadata=metadata,
                occurred_at=now,
            )
            for event in events
        ]
        stored = await workflow.execute_activity(
            APPEND_EVENTS,
            AppendEventsInput(
                stream_id=stream_id_for(self._plan_id), expected_version=expected, events=pending
            ),
            result_type=AppendEventsResult,
            start_to_close_timeout=APPEND_TIMEOUT,
            retry_policy=APPEND_RETRY,
        )
        state = self._state
        for event in events:
            state = evolve(state, event)
        self._state = state
        return CommandResult(plan_id=self._plan_id, version=stored.version, events=stored.events)
