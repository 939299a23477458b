"""Determinism guard: recorded PlanWorkflow histories replay against today's workflow code.

A change that makes PlanWorkflow non-deterministic for running plans fails here. New
histories are recorded with `ACIP_RECORD_HISTORIES=1 pytest tests/integration/test_replay.py`
(then committed); a deliberate change to workflow logic goes through `workflow.patched`.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from activities.notifications import SmtpSettings
from api.users import add_user
from domain import Role
from tests.integration.lifecycle import MANAGER, PlanDriver
from workers.temporal import build_worker, workflow_runner
from workflows.plan import PlanWorkflow

HISTORIES = Path(__file__).parent / "histories"
# Recordings are kept per workflow generation: older files stay, so plans that started on
# older code keep being replayed. v2: the notification outbox and command receipts.
GENERATION = "v2"


def saved_histories() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


async def test_saved_histories_replay_deterministically() -> None:
    paths = saved_histories()
    assert paths, f"no recorded histories under {HISTORIES}"
    replayer = Replayer(
        workflows=[PlanWorkflow],
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
    )
    for path in paths:
        history = WorkflowHistory.from_json(path.stem, path.read_text())
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


@pytest.mark.skipif(
    not os.environ.get("ACIP_RECORD_HISTORIES"), reason="set ACIP_RECORD_HISTORIES=1 to record"
)
async def test_record_histories(
    time_skipping_env: WorkflowEnvironment, task_queue: str, pool: asyncpg.Pool
) -> None:
    env = time_skipping_env
    HISTORIES.mkdir(exist_ok=True)
    today = (await env.get_current_time()).date()
    async with build_worker(env.client, task_queue, pool):
        # A full lifecycle with reminders, an escalation, evaluation and closing.
        plan = PlanDriver(env.client, task_queue, f"RPA-{today.year}")
        await plan.open(date(today.year, 1, 1), date(today.year + 1, 12, 31))
        await plan.diagnose()
        await plan.draft(today + timedelta(days=20), milestones=2)
        await plan.send(plan.focal, type="submit_for_approval")
        await plan.send(MANAGER, type="request_changes", reason="Add a second indicator")
        await plan.send(
            plan.focal,
            type="define_indicator",
            indicator_id="I2",
            name="Complaints answered",
            key_factor="transparency",
            unit="percent",
            baseline=20,
            target=80,
        )
        await plan.approve()
        await env.sleep(timedelta(days=40))
        keyed = str(uuid.uuid4())
        done = dict(type="complete_milestone", milestone_id="M1", evidence="ok", command_id=keyed)
        await plan.send(plan.focal, **done)
        await plan.send(plan.focal, **done)  # a replayed key
        await plan.send(
            MANAGER,
            type="reschedule_milestone",
            milestone_id="M2",
            new_due_date=(today + timedelta(days=90)).isoformat(),
            reason="Budget delay",
        )
        await plan.send(
            plan.focal,
            type="record_measurement",
            indicator_id="I1",
            value=50,
            measured_on=(today + timedelta(days=40)).isoformat(),
        )
        await plan.send(MANAGER, type="start_evaluation")
        for factor in ("code_of_conduct", "transparency"):
            await plan.send(
                MANAGER,
                type="rate_key_factor",
                key_factor=factor,
                rating="partially_achieved",
                note="Progress made",
            )
        await plan.send(MANAGER, type="close_plan", summary="Closed after evaluation")
        handle = env.client.get_workflow_handle(f"plan-{plan.plan_id}")
        await handle.result()
        history = await handle.fetch_history()
        (HISTORIES / f"full_lifecycle_with_reminders_{GENERATION}.json").write_text(
            history.to_json()
        )

        # A plan cancelled in drafting.
        cancelled = PlanDriver(env.client, task_queue, f"RPB-{today.year}")
        await cancelled.open(date(today.year, 1, 1), date(today.year + 2, 12, 31))
        await cancelled.diagnose()
        await cancelled.send(MANAGER, type="cancel_plan", reason="Administration withdrew")
        handle = env.client.get_workflow_handle(f"plan-{cancelled.plan_id}")
        await handle.result()
        history = await handle.fetch_history()
        (HISTORIES / f"cancelled_in_drafting_{GENERATION}.json").write_text(history.to_json())


@pytest.mark.skipif(
    not os.environ.get("ACIP_RECORD_HISTORIES"), reason="set ACIP_RECORD_HISTORIES=1 to record"
)
async def test_record_history_with_smtp_down(
    time_skipping_env: WorkflowEnvironment, task_queue: str, pool: asyncpg.Pool
) -> None:
    """Deliveries that fail and are retried later by the outbox, then the plan cancelled."""
    env = time_skipping_env
    today = (await env.get_current_time()).date()
    await add_user(pool, "rpc.focal", Role.FOCAL_POINT, "RPC", "focal@rpc.example")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = int(probe.getsockname()[1])
    smtp = SmtpSettings(host="127.0.0.1", port=closed_port, sender="acip@test.example")
    async with build_worker(env.client, task_queue, pool, smtp=smtp):
        plan = PlanDriver(env.client, task_queue, f"RPC-{today.year}")
        await plan.open(date(today.year, 1, 1), date(today.year + 1, 12, 31))
        await plan.diagnose()
        await plan.draft(today + timedelta(days=3))
        await plan.approve()
        await env.sleep(timedelta(days=5))
        await plan.send(MANAGER, type="cancel_plan", reason="Administration withdrew")
        handle = env.client.get_workflow_handle(f"plan-{plan.plan_id}")
        await handle.result()
        history = await handle.fetch_history()
        (HISTORIES / f"smtp_down_then_cancelled_{GENERATION}.json").write_text(history.to_json())
