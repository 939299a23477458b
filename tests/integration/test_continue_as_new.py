"""Continue-as-new carries the plan state, the command_id memory and the timers forward."""

from __future__ import annotations

import asyncpg
from temporalio.testing import WorkflowEnvironment

from api.dispatch import with_stored_events
from contracts.temporal import PlanWorkflowInput
from domain import KeyFactor
from eventstore import PostgresEventStore
from tests.support.ids import unique_plan_id
from tests.support.plans import Lifecycle, Stage, WorkflowPlan
from workers.temporal import build_worker
from workflows.plan import PlanWorkflow


async def test_state_survives_continue_as_new(
    dev_env: WorkflowEnvironment, task_queue: str, pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    plan_id = unique_plan_id()
    workflow_id = f"plan-{plan_id}"
    plan = WorkflowPlan(dev_env.client, task_queue, Lifecycle.for_plan(plan_id))
    async with build_worker(dev_env.client, task_queue, pool, store=PostgresEventStore(pool)):
        handle = await dev_env.client.start_workflow(
            PlanWorkflow.run,
            PlanWorkflowInput(plan_id=plan_id, commands_per_run=3),
            id=workflow_id,
            task_queue=task_queue,
        )
        first_run = handle.result_run_id
        await plan.advance(Stage.OPENED)
        finding = dict(
            type="record_diagnostic_finding",
            key_factor="transparency",
            maturity=2,
            summary="Rulings unpublished",
            command_id="5f0c2d9e-8a57-4c1f-9a59-4ad1c0a0c001",
        )
        first = await plan.send(plan.focal, **finding)
        await plan.advance(Stage.DRAFTING)  # eleven more commands: several runs
        again = await plan.send(plan.focal, **finding)
        # Remembered across runs: the replayed answer locates the first command's events.
        assert again.replayed and again.version == first.version
        assert (await with_stored_events(again, store)).events == first.events

        state = await dev_env.client.get_workflow_handle(workflow_id).query(PlanWorkflow.state)
        assert state is not None
        assert state.phase == "drafting"
        assert set(state.findings) == set(KeyFactor)
        description = await dev_env.client.get_workflow_handle(workflow_id).describe()
        assert description.run_id != first_run

    events = await store.read_stream(workflow_id)
    assert state.version == len(events) == 1 + 1 + 10 + 1
