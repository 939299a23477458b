"""A plan whose timer path fails keeps working: the failure is caught, shown on the plan (the
``status`` query and the dashboard), counted (a Prometheus metric from the workflow), retried
with backoff, and commands, cancel_plan above all, still go through.

Temporal is real (time-skipping server). The failure: a real plan (its stream and read
models) whose workflow is restarted on a state with a milestone due on the last day of the
calendar, whose overdue instant (the day after) cannot be computed.
"""

from __future__ import annotations

from datetime import date, timedelta

import asyncpg
import httpx
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from api.context import ApiContext
from api.users import add_user
from contracts.temporal import PlanWorkflowInput, PlanWorkflowStatus
from domain import PlanState, Role, next_deadline
from eventstore import PostgresEventStore
from tests.integration.conftest import Skipping
from tests.support.api_stack import dashboard_page
from tests.support.mail import free_port
from tests.support.plans import MANAGER, Lifecycle, Milestone, Stage, WorkflowPlan
from tests.support.polling import eventually
from workers.temporal import build_worker
from workflows.plan import PlanWorkflow
from workflows.timer_health import TIMER_RETRY_FIRST


def wedging(state: PlanState) -> PlanState:
    milestones = {
        key: milestone.model_copy(update={"due_date": date.max})
        for key, milestone in state.milestones.items()
    }
    return state.model_copy(update={"milestones": milestones})


async def _status(client: Client, plan_id: str) -> PlanWorkflowStatus:
    return await client.get_workflow_handle(f"plan-{plan_id}").query(PlanWorkflow.status)


async def _status_until(client: Client, plan_id: str, failures: int) -> PlanWorkflowStatus:
    return await eventually(
        lambda: _status(client, plan_id),
        until=lambda status: status.timer_failures == failures,
        within=10,
        what=f"{failures} timer failures of {plan_id}",
    )


async def _metric(port: int, name: str) -> float:
    async with httpx.AsyncClient() as http:
        scraped = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    values = [
        float(line.split()[-1])
        for line in scraped.splitlines()
        if line.startswith(name) and not line.startswith("#")
    ]
    return sum(values)


async def test_a_failing_timer_path_never_stops_commands(
    skipping: Skipping, task_queue: str, pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    env, today, plan_id = skipping.env, skipping.today, skipping.plan_id
    manager_token = await add_user(pool, store, "sen.manager", Role.PROGRAMME_MANAGER, None, None)

    # A worker on its own runtime exporting Prometheus metrics, against the same server.
    metrics_port = free_port()
    runtime = Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=f"127.0.0.1:{metrics_port}")
        )
    )
    client = await Client.connect(
        env.client.service_client.config.target_host,
        namespace=env.client.namespace,
        data_converter=pydantic_data_converter,
        runtime=runtime,
    )
    async with build_worker(client, task_queue, pool, store=PostgresEventStore(pool)):
        lifecycle = Lifecycle.for_plan(
            plan_id,
            period_end=date(today.year + 1, 12, 31),
            milestones=(Milestone("M1", today + timedelta(days=30)),),
        )
        plan = WorkflowPlan(env.client, task_queue, lifecycle)
        await plan.advance(Stage.IMPLEMENTATION)
        handle = env.client.get_workflow_handle(f"plan-{plan_id}")
        approved = await handle.query(PlanWorkflow.state)
        assert approved is not None
        state = wedging(approved)
        with pytest.raises(OverflowError):
            next_deadline(state)  # the injected failure, in the domain as it stands
        await handle.terminate("restarted on a state that wedges its timers")
        await env.client.start_workflow(
            PlanWorkflow.run,
            PlanWorkflowInput(plan_id=plan_id, state=state),
            id=f"plan-{plan_id}",
            task_queue=task_queue,
        )

        first = await _status_until(env.client, plan_id, 1)
        assert first.timer_error is not None and "OverflowError" in first.timer_error
        assert first.timer_failing_since is not None and first.timer_retry_at is not None
        assert first.timer_retry_at - first.timer_failing_since == TIMER_RETRY_FIRST

        # Shown on the dashboard's plan page.
        context = ApiContext(pool=pool, store=store, temporal=env.client, task_queue=task_queue)
        page = await dashboard_page(context, manager_token, f"/ui/plans/{plan_id}")
        assert 'id="timer-failure"' in page.text and "OverflowError" in page.text

        # Retried later, with backoff: the next retry is further away than the first.
        await env.sleep(TIMER_RETRY_FIRST + timedelta(minutes=1))
        later = await _status_until(env.client, plan_id, 2)
        assert later.timer_retry_at is not None
        assert later.timer_retry_at - await env.get_current_time() > TIMER_RETRY_FIRST
        assert await _metric(metrics_port, "acip_plan_timer_failures") >= 2

        # Commands still work while it fails; completing the milestone removes the deadline
        # that cannot be computed, and the next retry recovers.
        [milestone_id] = state.milestones
        completed = await plan.send(
            plan.focal, type="complete_milestone", milestone_id=milestone_id, evidence="Done"
        )
        assert [event.type for event in completed.events] == ["milestone_completed"]
        await env.sleep(later.timer_retry_at - await env.get_current_time() + timedelta(minutes=1))
        recovered = await _status_until(env.client, plan_id, 0)
        assert recovered.timer_error is None and recovered.timer_retry_at is None

        # And cancel_plan ends the workflow.
        cancelled = await plan.send(MANAGER, type="cancel_plan", reason="Stuck plan withdrawn")
        assert [event.type for event in cancelled.events] == ["plan_cancelled"]
        final = await env.client.get_workflow_handle(
            f"plan-{plan_id}", result_type=PlanState
        ).result()
        assert final is not None and final.phase == "cancelled"
    events = await store.read_stream(f"plan-{plan_id}")
    assert [event.type for event in events[-2:]] == ["milestone_completed", "plan_cancelled"]
    assert events[-1].version == approved.version + 2
