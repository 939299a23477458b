"""PlanWorkflow: one per action plan; holds its state, serialises its commands, keeps its timers.

The validator runs domain ``decide()`` so a refused command never enters history; the
handler decides again under the lock (state may have moved since validation), appends
through the ``append_events`` activity and folds the stored events into the state.

Nothing here may fail a workflow task: update handlers turn every error into an
``ApplicationError`` (a task failure would retry forever and wedge the plan), the timer path
catches its own failures and retries with backoff, and notifications are delivered by the
outbox beside the timer loop (workflows/outbox.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from contracts.idempotency import (
        IDEMPOTENCY_KEY_REUSED,
        UNKNOWN_FINGERPRINT,
        CommandMemory,
        CommandReceipt,
        command_fingerprint,
        memory_key,
    )
    from contracts.temporal import (
        APPEND_EVENTS,
        AppendEventsInput,
        AppendEventsResult,
        CommandRequest,
        CommandResult,
        NotificationInput,
        PendingEvent,
        PlanWorkflowInput,
        PlanWorkflowStatus,
        stream_id_for,
    )
    from domain import (
        SYSTEM_ACTOR,
        Actor,
        DomainError,
        Event,
        Phase,
        PlanState,
        authorize,
        decide,
        due_events,
        evolve,
        next_deadline,
    )
    from domain.events import envelope_fields
    from workflows.notify_inline import deliver_inline
    from workflows.outbox import NotificationOutbox
    from workflows.timer_health import TimerHealth

# How many keyed commands are remembered for command_id deduplication.
MAX_RECENT_COMMANDS = 1000
# A workflow started for an open_plan that never arrived gives up after this long.
OPEN_GRACE = timedelta(minutes=5)
# A finished plan waits this long for deliveries that have not had their first round.
FINISH_DELIVERY_GRACE = timedelta(hours=1)
NOTIFIED_EVENT_TYPES = frozenset({"reminder_sent", "milestone_escalated"})
# Running plans recorded before the outbox deliver inline; new runs through the outbox.
NOTIFICATION_OUTBOX_PATCH = "notification-outbox-v1"
# workflow.patched id: decide() with the input-bound rules (countries, calendar, period
# length, measured_on before the period; docs/lifecycle.md).
BOUNDED_INPUT_PATCH = "bounded-input-rules"
# workflow.patched id: the measurement_due time rule (results framework). Runs recorded
# before it arm the timers they armed then; new runs (and old ones after continue-as-new)
# call for measurements too.
MEASUREMENT_DUE_PATCH = "measurement-due-v1"

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


def internal_failure(error: Exception) -> ApplicationError:
    """Any other error of a command, as an update failure (never a workflow-task failure)."""
    return ApplicationError(
        f"The command failed inside the plan's workflow: {type(error).__name__}: {error}",
        type="InternalError",
        non_retryable=True,
    )


@workflow.defn
class PlanWorkflow:
    @workflow.init
    def __init__(self, input: PlanWorkflowInput) -> None:
        self._plan_id = input.plan_id
        self._state: PlanState | None = input.state
        self._receipts: dict[str, CommandReceipt] = {
            # Results from a run on older code: no fingerprint was kept for them.
            **{
                memory_key(key): CommandReceipt(UNKNOWN_FINGERPRINT, old.version, len(old.events))
                for key, old in input.recent_commands.items()
            },
            **input.command_memory.receipts(),
        }
        self._lock = asyncio.Lock()
        self._changed = False
        self._commands_this_run = 0
        # A bound on history per run, beside the SDK's own suggestion; state moves on intact.
        self._commands_per_run = input.commands_per_run
        self._outbox = NotificationOutbox(input.plan_id, input.notification_queue)
        self._timer = TimerHealth(input.plan_id)

    @workflow.run
    async def run(self, input: PlanWorkflowInput) -> PlanState | None:
        delivery = asyncio.create_task(self._outbox.run())
        try:
            return await self._run()
        finally:
            delivery.cancel()

    async def _run(self) -> PlanState | None:
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
                await self._wait(self._outbox.first_rounds_done, FINISH_DELIVERY_GRACE)
                return self._state
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    PlanWorkflowInput(
                        plan_id=self._plan_id,
                        state=self._state,
                        command_memory=CommandMemory.of(self._receipts),
                        notification_queue=self._outbox.queue,
                        commands_per_run=self._commands_per_run,
                    )
                )
            self._changed = False
            deadline = self._next_wake()
            timeout = None if deadline is None else max(deadline - workflow.now(), timedelta(0))
            woke = await self._wait(lambda: self._changed, timeout)
            if not woke:
                try:
                    await self._fire_due_events()
                except Exception as error:
                    # Any failure (a date the domain cannot handle, a stream written by someone
                    # else): keep the plan and its commands alive, and try again later.
                    self._timer.failed(error)
                else:
                    self._timer.recovered()

    @workflow.query
    def state(self) -> PlanState | None:
        return self._state

    @workflow.query
    def status(self) -> PlanWorkflowStatus:
        return self._timer.status.model_copy(
            update={
                "queued_notifications": len(self._outbox.queue),
                "failing_notifications": self._outbox.failing(),
            }
        )

    @workflow.update
    async def command(self, request: CommandRequest) -> CommandResult:
        async with self._lock:
            try:
                return await self._handle(request)
            except FailureError:
                raise  # ApplicationError, ActivityError: they fail the update, not the task
            except DomainError as error:
                raise domain_refusal(error) from None
            except Exception as error:
                workflow.logger.exception(
                    "command failed in the workflow", extra={"plan_id": self._plan_id}
                )
                raise internal_failure(error) from None

    @command.validator
    def validate_command(self, request: CommandRequest) -> None:
        if request.plan_id != self._plan_id:
            raise ApplicationError(
                f"This workflow runs plan {self._plan_id}, not {request.plan_id}.",
                {"rule": "wrong_plan", "message": "command sent to another plan's workflow"},
                type="DomainError",
                non_retryable=True,
            )
        try:
            if self._receipt_for(request) is None:
                decide(self._state, request.command, request.actor, workflow.now())
        except DomainError as error:
            raise domain_refusal(error) from None
        except Exception as error:
            raise internal_failure(error) from None

    async def _handle(self, request: CommandRequest) -> CommandResult:
        receipt = self._receipt_for(request)
        if receipt is not None:
            return CommandResult(
                plan_id=self._plan_id,
                version=receipt.version,
                events=[],
                replayed=True,
                replayed_event_count=receipt.event_count,
            )
        # Histories recorded before the input-bound rules replay with the rules of then
        # (an update accepted then must append again, not be refused now).
        bounded = workflow.patched(BOUNDED_INPUT_PATCH)
        events = decide(
            self._state, request.command, request.actor, workflow.now(), bounded=bounded
        )
        result = await self._append(events, request.actor, request)
        command_id = request.command.command_id
        if command_id is not None:
            self._remember(
                memory_key(command_id),
                CommandReceipt(
                    command_fingerprint(request.command, request.actor),
                    result.version,
                    len(result.events),
                ),
            )
        self._commands_this_run += 1
        self._changed = True
        return result

    def _receipt_for(self, request: CommandRequest) -> CommandReceipt | None:
        """The first answer to this request's key, after checking that this request may have
        it: the actor's role and scope first (a read-only role is refused even with a known
        key), then that it is the same command from the same actor."""
        command_id = request.command.command_id
        if command_id is None:
            return None
        receipt = self._receipts.get(memory_key(command_id))
        if receipt is None:
            return None
        assert self._state is not None  # a receipt exists only once the plan is open
        authorize(request.command, request.actor, self._state.country)
        known = receipt.fingerprint
        if known != UNKNOWN_FINGERPRINT and known != command_fingerprint(
            request.command, request.actor
        ):
            raise DomainError(
                IDEMPOTENCY_KEY_REUSED,
                f"The key {command_id} was already used for another command or by another "
                "user; send a new key for a new command.",
            )
        return receipt

    def _remember(self, key: str, receipt: CommandReceipt) -> None:
        self._receipts[key] = receipt
        while len(self._receipts) > MAX_RECENT_COMMANDS:
            self._receipts.pop(next(iter(self._receipts)))

    async def _wait(self, condition: Callable[[], bool], limit: timedelta | None) -> bool:
        if condition():
            return True  # no timer: a timer command here would change replayed histories
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

    def _next_wake(self) -> datetime | None:
        """The next deadline, or the retry time while the timer path is failing."""
        if self._timer.retry_at is not None:
            return self._timer.retry_at
        if self._state is None:
            return None
        try:
            return next_deadline(self._state, measurements=self._measurements_due())
        except Exception as error:
            self._timer.failed(error)
            return self._timer.retry_at

    async def _fire_due_events(self) -> None:
        async with self._lock:
            if self._state is None:
                return
            self._timer.retrying()
            events = due_events(self._state, workflow.now(), measurements=self._measurements_due())
            if not events:
                return
            result = await self._append(events, SYSTEM_ACTOR, None)
        notifications = self._notifications(result)
        if workflow.patched(NOTIFICATION_OUTBOX_PATCH):
            for notification in notifications:
                self._outbox.put(notification)
        else:
            await deliver_inline(notifications)

    def _measurements_due(self) -> bool:
        # Memoised by the SDK for the run: the first call decides for all that follow.
        return workflow.patched(MEASUREMENT_DUE_PATCH)

    def _notifications(self, result: CommandResult) -> list[NotificationInput]:
        state = self._state
        assert state is not None
        found = []
        for stored in result.events:
            if stored.type not in NOTIFIED_EVENT_TYPES:
                continue
            milestone = state.milestones.get(str(stored.data.get("milestone_id", "")))
            indicator = state.indicators.get(str(stored.data.get("indicator_id", "")))
            found.append(
                NotificationInput(
                    plan_id=self._plan_id,
                    country=state.country,
                    event=stored,
                    plan_title=state.title,
                    milestone_title=milestone.title if milestone else None,
                    indicator_name=indicator.name if indicator else None,
                )
            )
        return found

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
        if request is not None and request.confirmed_by:
            # Only when given: events of older commands keep exactly the metadata they had.
            metadata["confirmed_by"] = request.confirmed_by
        pending = [
            PendingEvent(
                event_id=workflow.uuid4(),
                **envelope_fields(event),
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
