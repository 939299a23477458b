"""PlanWorkflow on Temporal's dev server and a real PostgreSQL event store."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg
import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from api import dispatch as dispatch_module
from api.errors import ApiError
from contracts.temporal import PlanWorkflowInput
from eventstore import PostgresEventStore
from tests.support.ids import unique_plan_id
from tests.support.plans import MANAGER, Lifecycle, Stage, WorkflowPlan, focal_of
from workers.temporal import build_worker
from workflows.plan import PlanWorkflow

# The dev server's clock is real: a plan that records a measurement (not in the future) and
# must not see its milestone overdue runs from 1 January of this year.
THIS_YEAR = date.today().year
OTHER_FOCAL = focal_of("KEN")


def driver(dev_env: WorkflowEnvironment, task_queue: str, plan_id: str) -> WorkflowPlan:
    return WorkflowPlan(dev_env.client, task_queue, Lifecycle.for_plan(plan_id))


async def test_full_lifecycle_appends_every_event_in_order(
    dev_env: WorkflowEnvironment, task_queue: str, pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    plan_id = unique_plan_id(year=THIS_YEAR)
    async with build_worker(dev_env.client, task_queue, pool, store=PostgresEventStore(pool)):
        plan = driver(dev_env, task_queue, plan_id)
        opened = await plan.advance(Stage.OPENED)
        assert opened is not None and opened.version == 1
        approved = await plan.advance(Stage.IMPLEMENTATION)
        assert approved is not None
        assert [e.type for e in approved.events] == ["plan_approval_granted", "plan_approved"]
        await plan.advance(Stage.EVALUATION)
        closed = await plan.advance(Stage.CLOSED)
        assert closed is not None and [e.type for e in closed.events] == ["plan_closed"]

    events = await store.read_stream(f"plan-{plan_id}")
    types = [e.type for e in events]
    assert types == [
        "plan_opened",
        *["diagnostic_finding_recorded"] * 10,
        "diagnostic_completed",
        "milestone_added",
        "indicator_defined",
        "plan_submitted",
        "plan_approval_granted",
        "plan_approval_granted",
        "plan_approved",
        "milestone_progress_reported",
        "milestone_completed",
        "indicator_measured",
        "evaluation_started",
        "key_factor_rated",
        "plan_closed",
    ]
    assert [e.version for e in events] == list(range(1, len(events) + 1))
    actors = [e.metadata["actor"] for e in events]
    assert actors[0] == MANAGER.name
    assert actors[types.index("plan_submitted")] == plan.focal.name
    assert actors[types.index("plan_approved")] == MANAGER.name
    assert all(e.metadata["workflow_id"] == f"plan-{plan_id}" for e in events)
    assert (await store.verify(f"plan-{plan_id}")).ok


async def test_refusals_name_the_rule_and_append_nothing(
    dev_env: WorkflowEnvironment, task_queue: str, pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    plan_id = unique_plan_id()
    async with build_worker(dev_env.client, task_queue, pool, store=PostgresEventStore(pool)):
        plan = driver(dev_env, task_queue, plan_id)
        await plan.advance(Stage.DRAFTED)
        await plan.send(MANAGER, type="submit_for_approval")
        before = await store.stream_version(f"plan-{plan_id}")

        with pytest.raises(ApiError) as four_eyes:
            await plan.send(MANAGER, type="approve_plan")
        assert (four_eyes.value.status, four_eyes.value.rule) == (409, "four_eyes")

        with pytest.raises(ApiError) as scope:
            await plan.send(OTHER_FOCAL, type="request_changes", reason="not mine")
        assert scope.value.status == 403
        assert scope.value.rule in ("not_permitted", "out_of_scope")

        with pytest.raises(ApiError) as again:
            await plan.send(MANAGER, **plan.lifecycle.open_command())
        assert again.value.rule == "plan_exists"

        await plan.send(plan.head, type="approve_plan")
        with pytest.raises(ApiError) as twice:
            await plan.send(plan.head, type="approve_plan")
        assert twice.value.rule == "already_approved"

        assert await store.stream_version(f"plan-{plan_id}") == before + 1


async def test_command_id_replay_returns_first_result_and_appends_nothing(
    dev_env: WorkflowEnvironment, task_queue: str, pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    plan_id = unique_plan_id()
    command_id = str(uuid.uuid4())
    async with build_worker(dev_env.client, task_queue, pool, store=PostgresEventStore(pool)):
        plan = driver(dev_env, task_queue, plan_id)
        await plan.advance(Stage.OPENED)
        finding = dict(
            type="record_diagnostic_finding",
            key_factor="transparency",
            maturity=2,
            summary="Tariffs not published",
            command_id=command_id,
        )
        first = await plan.send(plan.focal, **finding)
        second = await plan.send(plan.focal, **finding)
        assert second.version == first.version == 2
        assert [e.event_id for e in second.events] == [e.event_id for e in first.events]
        assert await store.stream_version(f"plan-{plan_id}") == 2

        with pytest.raises(ApiError) as stale:
            await plan.send(
                plan.focal,
                type="record_diagnostic_finding",
                key_factor="automation",
                maturity=2,
                summary="Manual",
                expected_version=1,
            )
        assert stale.value.rule == "version_conflict"


async def test_unknown_plan_is_404(dev_env: WorkflowEnvironment, task_queue: str) -> None:
    plan = driver(dev_env, task_queue, unique_plan_id())  # never opened
    with pytest.raises(ApiError) as missing:
        await plan.send(plan.focal, type="complete_diagnostic")
    assert missing.value.status == 404


async def test_open_with_expected_version_on_an_existing_plan_is_plan_exists(
    dev_env: WorkflowEnvironment, task_queue: str, pool: asyncpg.Pool
) -> None:
    async with build_worker(dev_env.client, task_queue, pool, store=PostgresEventStore(pool)):
        plan = driver(dev_env, task_queue, unique_plan_id())
        await plan.advance(Stage.OPENED)
        with pytest.raises(ApiError) as again:
            await plan.send(MANAGER, **plan.lifecycle.open_command(), expected_version=0)
        assert again.value.rule == "plan_exists"


async def test_a_command_nobody_answers_times_out_with_a_retry_hint(
    dev_env: WorkflowEnvironment, task_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatch_module, "COMMAND_DEADLINE_SECONDS", 1.0)
    plan = driver(dev_env, task_queue, unique_plan_id())  # no worker on this queue
    with pytest.raises(ApiError) as late:
        await plan.send(MANAGER, **plan.lifecycle.open_command(), command_id=str(uuid.uuid4()))
    assert (late.value.status, late.value.error) == (503, "timeout")
    assert "Idempotency-Key" in late.value.message


async def test_a_plan_whose_open_never_landed_can_be_opened_later(
    time_skipping_env: WorkflowEnvironment, task_queue: str, pool: asyncpg.Pool
) -> None:
    env = time_skipping_env
    plan_id = unique_plan_id()
    async with build_worker(env.client, task_queue, pool, store=PostgresEventStore(pool)):
        # A run started with no open_plan (as when the open's update was lost) fails after
        # its grace period ...
        handle = await env.client.start_workflow(
            PlanWorkflow.run,
            PlanWorkflowInput(plan_id=plan_id),
            id=f"plan-{plan_id}",
            task_queue=task_queue,
        )
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        # ... and the id is not burnt: opening the plan starts a new run.
        plan = driver(env, task_queue, plan_id)
        opened = await plan.advance(Stage.OPENED)
        assert opened is not None and opened.version == 1
