"""A plan whose timer path fails keeps working: the failure is caught, shown on the plan (the
``status`` query), counted (a Prometheus metric from the workflow), retried with backoff,
and commands, cancel_plan above all, still go through. Temporal is real (time-skipping
server); the failure is a plan state whose deadline computation raises."""

from __future__ import annotations

import asyncio
import socket
import uuid
from datetime import date, timedelta

import asyncpg
import httpx
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.testing import WorkflowEnvironment

from contracts.temporal import PlanWorkflowInput, PlanWorkflowStatus
from domain import PlanState, next_deadline
from eventstore import PostgresEventStore
from tests.integration.lifecycle import MANAGER, PlanDriver
from tests.unit.domain_builders import implementation
from workers.temporal import build_worker
from workflows.plan import PlanWorkflow
from workflows.timer_health import TIMER_RETRY_FIRST


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wedging_state(plan_id: str) -> PlanState:
    """A plan in implementation whose milestone is due on the last day of the calendar: the
    day after it (its overdue instant) cannot be computed."""
    state = implementation()
    milestones = {
        key: milestone.model_copy(update={"due_date": date.max})
        for key, milestone in state.milestones.items()
    }
    # Version 0: the stream of this made-up plan is empty, so the workflow appends at 1.
    return state.model_copy(update={"plan_id": plan_id, "milestones": milestones, "version": 0})


async def _status(client: Client, plan_id: str) -> PlanWorkflowStatus:
    return await client.get_workflow_handle(f"plan-{plan_id}").query(PlanWorkflow.status)


async def _failures_reach(client: Client, plan_id: str, count: int) -> PlanWorkflowStatus:
    status = await _status(client, plan_id)
    for _ in range(200):
        if status.timer_failures >= count:
            return status
        await asyncio.sleep(0.05)
        status = await _status(client, plan_id)
    raise AssertionError(f"timer failures never reached {count}; last status {status}")


async def test_a_failing_timer_path_never_stops_commands(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    pool: asyncpg.Pool,
    store: PostgresEventStore,
) -> None:
    env = time_skipping_env
    plan_id = f"GHA-{2100 + uuid.uuid4().int % 800}"
    state = wedging_state(plan_id)
    with pytest.raises(OverflowError):
        next_deadline(state)  # the injected failure, in the domain as it stands

    # A worker on its own runtime exporting Prometheus metrics, against the same server.
    metrics_port = _free_port()
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
    async with build_worker(client, task_queue, pool):
        handle = await env.client.start_workflow(
            PlanWorkflow.run,
            PlanWorkflowInput(plan_id=plan_id, state=state),
            id=f"plan-{plan_id}",
            task_queue=task_queue,
        )
        first = await _failures_reach(env.client, plan_id, 1)
        assert first.timer_error is not None and "OverflowError" in first.timer_error
        assert first.timer_failing_since is not None and first.timer_retry_at is not None
        assert first.timer_retry_at - first.timer_failing_since == TIMER_RETRY_FIRST

        # Retried later, with backoff: the next retry is further away than the first.
        await env.sleep(TIMER_RETRY_FIRST + timedelta(minutes=1))
        later = await _failures_reach(env.client, plan_id, 2)
        assert later.timer_retry_at is not None
        assert later.timer_retry_at - await env.get_current_time() > TIMER_RETRY_FIRST

        async with httpx.AsyncClient() as http:
            scraped = (await http.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
        counted = [line for line in scraped.splitlines() if "acip_plan_timer_failures" in line]
        assert any(not line.startswith("#") and float(line.split()[-1]) >= 2 for line in counted), (
            counted
        )

        # Commands still work while it fails; completing the milestone removes the deadline
        # that cannot be computed, and the next retry recovers.
        plan = PlanDriver(env.client, task_queue, plan_id)
        [milestone_id] = state.milestones
        completed = await plan.send(
            plan.focal, type="complete_milestone", milestone_id=milestone_id, evidence="Done"
        )
        assert [event.type for event in completed.events] == ["milestone_completed"]
        await env.sleep(later.timer_retry_at - await env.get_current_time() + timedelta(minutes=1))
        recovered = await _status(env.client, plan_id)
        for _ in range(100):
            if recovered.timer_failures == 0:
                break
            await asyncio.sleep(0.05)
            recovered = await _status(env.client, plan_id)
        assert recovered.timer_failures == 0 and recovered.timer_error is None

        # And cancel_plan ends the workflow.
        cancelled = await plan.send(MANAGER, type="cancel_plan", reason="Stuck plan withdrawn")
        assert [event.type for event in cancelled.events] == ["plan_cancelled"]
        final = await handle.result()
        assert final is not None and final.phase == "cancelled"
    assert [event.type for event in await store.read_stream(f"plan-{plan_id}")] == [
        "milestone_completed",
        "plan_cancelled",
    ]
