"""What continue-as-new carries stays small: 1,000 keyed commands through one plan, then the
carried input is measured as Temporal stores it. Also: input from a run on older code (full
command results) still loads and still deduplicates."""

from __future__ import annotations

import json
import uuid

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from api.dispatch import with_stored_events
from api.errors import ApiError
from contracts.temporal import CommandResult, EventOut, PlanWorkflowInput
from domain import Actor, KeyFactor, Role, evolve, parse_command
from domain.decide import decide
from eventstore import PostgresEventStore
from tests.support.ids import unique_plan_id, year_of
from tests.support.plans import MANAGER, Lifecycle, WorkflowPlan
from workers.temporal import build_worker
from workflows.plan import PlanWorkflow

KEYED_COMMANDS = 1000
# Continue as new every 250 commands: the fourth time right after the 1,000th.
PER_RUN = 250
BUDGET_BYTES = 64 * 1024
OBSERVER = Actor(name="donor.observer", role=Role.OBSERVER)


async def test_a_thousand_keyed_commands_carry_less_than_64_kib(
    dev_env: WorkflowEnvironment, task_queue: str, pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    plan_id = unique_plan_id()
    plan = WorkflowPlan(dev_env.client, task_queue, Lifecycle.for_plan(plan_id))
    keys = [str(uuid.uuid4()) for _ in range(KEYED_COMMANDS)]
    factors = list(KeyFactor)
    async with build_worker(dev_env.client, task_queue, pool, store=PostgresEventStore(pool)):
        handle = await dev_env.client.start_workflow(
            PlanWorkflow.run,
            PlanWorkflowInput(plan_id=plan_id, commands_per_run=PER_RUN),
            id=f"plan-{plan_id}",
            task_queue=task_queue,
        )
        await plan.send(MANAGER, **plan.lifecycle.open_command(), command_id=keys[0])
        results: list[CommandResult] = []
        for n, key in enumerate(keys[1:], start=1):
            results.append(
                await plan.send(
                    plan.focal,
                    type="record_diagnostic_finding",
                    key_factor=factors[n % len(factors)].value,
                    maturity=1 + n % 5,
                    summary=f"Finding number {n} of the diagnostic mission",
                    command_id=key,
                )
            )
        latest = dev_env.client.get_workflow_handle(f"plan-{plan_id}")
        description = await latest.describe()
        assert description.run_id != handle.result_run_id
        history = await latest.fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        carried = started.input.payloads[0].data
        carried_input = PlanWorkflowInput.model_validate(json.loads(carried))
        assert len(carried_input.command_memory.keys) == KEYED_COMMANDS
        # What the old shape (a full result per key) would have carried, for comparison.
        full_results = len(
            json.dumps(
                {key: r.model_dump(mode="json") for key, r in zip(keys[1:], results, strict=True)}
            )
        )
        print(
            f"\ncarried input after {KEYED_COMMANDS} keyed commands: {len(carried)} bytes "
            f"(full results of the same commands alone: {full_results} bytes)"
        )
        assert len(carried) <= BUDGET_BYTES < full_results

        # The oldest remembered key, in a later run: replayed from its receipt alone.
        oldest = results[0]
        again = await plan.send(
            plan.focal,
            type="record_diagnostic_finding",
            key_factor=factors[1].value,
            maturity=2,
            summary="Finding number 1 of the diagnostic mission",
            command_id=keys[1],
        )
        assert again.replayed and again.version == oldest.version and again.events == []
        assert (await with_stored_events(again, store)).events == oldest.events

    assert len(await store.read_stream(f"plan-{plan_id}")) == KEYED_COMMANDS


async def test_input_from_a_run_on_older_code_still_deduplicates(
    dev_env: WorkflowEnvironment, task_queue: str, pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    """A run that continued as new before receipts existed carried full results under
    ``recent_commands``: those keys still replay (after authorization) in the new code."""
    plan_id = unique_plan_id()
    year = year_of(plan_id)
    key = str(uuid.uuid4())
    opening = parse_command(
        {
            "type": "open_plan",
            "country": "NER",
            "administration": "Customs",
            "title": "Integrity action plan",
            "period_start": f"{year}-01-01",
            "period_end": f"{year + 1}-12-31",
        }
    )
    now = await dev_env.get_current_time()
    [opened] = decide(None, opening, MANAGER, now)
    old_shape = {
        "plan_id": plan_id,
        "state": json.loads(evolve(None, opened).model_dump_json()),
        "recent_commands": {
            key: {
                "plan_id": plan_id,
                "version": 1,
                "events": [
                    json.loads(
                        EventOut(
                            event_id=uuid.uuid4(),
                            type="plan_opened",
                            version=1,
                            global_position=1,
                            occurred_at=now,
                            data={},
                        ).model_dump_json()
                    )
                ],
            }
        },
        "commands_per_run": 500,
    }
    async with build_worker(dev_env.client, task_queue, pool, store=PostgresEventStore(pool)):
        await dev_env.client.start_workflow(
            PlanWorkflow.run,
            PlanWorkflowInput.model_validate(old_shape),
            id=f"plan-{plan_id}",
            task_queue=task_queue,
        )
        plan = WorkflowPlan(dev_env.client, task_queue, Lifecycle.for_plan(plan_id))
        replayed = await plan.send(MANAGER, type="cancel_plan", reason="Withdrawn", command_id=key)
        assert replayed.replayed and replayed.version == 1
        # Still authorized first: a read-only role gets its refusal, not the old result.
        with pytest.raises(ApiError) as refused:
            await plan.send(OBSERVER, type="cancel_plan", reason="Withdrawn", command_id=key)
        assert refused.value.status == 403
        state = await dev_env.client.get_workflow_handle(f"plan-{plan_id}").query(
            PlanWorkflow.state
        )
        assert state is not None and state.phase == "diagnostic"
        # Its stream was never written (the state was made up): end it without a command.
        await dev_env.client.get_workflow_handle(f"plan-{plan_id}").terminate("test over")
