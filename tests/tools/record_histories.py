"""Record the PlanWorkflow histories that tests/integration/test_replay.py replays.

Run from the repository root, then review and commit the JSON files it writes::

    .venv/bin/python -m tests.tools.record_histories [FOLDER]

It starts its own throw-away PostgreSQL and Temporal time-skipping server (nothing shared
with a test session), drives three plans with the test plan driver and writes their Temporal
histories to FOLDER (tests/integration/histories/ by default). See docs/testing.md for
when to record.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import asyncpg
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.notifications import SmtpSettings
from api.users import add_user
from domain import Role
from eventstore import PostgresEventStore, init_connection
from testkit.postgres import temporary_postgres
from tests.support.plans import (
    Indicator,
    Lifecycle,
    Measurement,
    Milestone,
    Outcome,
    Stage,
    WorkflowPlan,
)
from workers.db import migrate_all
from workers.temporal import build_worker

HISTORIES = Path(__file__).resolve().parents[1] / "integration" / "histories"
# Recordings are kept per workflow generation: older files stay, so plans that started on
# older code keep being replayed. v2: the notification outbox and command receipts; v3: the
# results framework (the measurement_due patch, outcomes, period targets).
GENERATION = "v3"
BIN = Path(sys.executable).parent


async def rated_and_closed(
    plan: WorkflowPlan, ratings: dict[str, str], *, note: str
) -> WorkflowPlan:
    """Each key factor rated (the plan under evaluation), then the plan closed."""
    for factor, rating in ratings.items():
        await plan.send(
            plan.manager, type="rate_key_factor", key_factor=factor, rating=rating, note=note
        )
    await plan.send(plan.manager, type="close_plan", summary="Closed after evaluation")
    return plan


async def full_lifecycle_with_reminders(
    env: WorkflowEnvironment, task_queue: str, today: date
) -> WorkflowPlan:
    """Changes requested, reminders, an escalation, a reschedule, evaluation and closing."""
    due = today + timedelta(days=20)
    lifecycle = Lifecycle.for_plan(
        f"GHA-{today.year}",
        period_end=date(today.year + 1, 12, 31),
        milestones=(
            Milestone("M1", due, title="Publish the code of conduct, part 1"),
            Milestone("M2", due, title="Publish the code of conduct, part 2"),
        ),
    )
    plan = WorkflowPlan(env.client, task_queue, lifecycle)
    await plan.advance(Stage.DRAFTED)
    await plan.send(plan.focal, type="submit_for_approval")
    await plan.send(plan.manager, type="request_changes", reason="Add a second indicator")
    # Annual: define_indicator's default, which this recording has always used.
    complaints = Indicator(
        "I2",
        name="Complaints answered",
        key_factor="transparency",
        baseline=20,
        target=80,
        reporting_frequency="annual",
    )
    await plan.send(plan.focal, **complaints.command())
    await plan.advance(Stage.IMPLEMENTATION)  # submitted again, then both approvals
    await env.sleep(timedelta(days=40))
    keyed = str(uuid.uuid4())
    done = dict(type="complete_milestone", milestone_id="M1", evidence="ok", command_id=keyed)
    await plan.send(plan.focal, **done)
    await plan.send(plan.focal, **done)  # a replayed key
    await plan.send(
        plan.manager,
        type="reschedule_milestone",
        milestone_id="M2",
        new_due_date=(today + timedelta(days=90)).isoformat(),
        reason="Budget delay",
    )
    measured = Measurement("I1", 50, today + timedelta(days=40))
    await plan.send(plan.focal, **measured.command())
    await plan.send(plan.manager, type="start_evaluation")
    ratings = {"code_of_conduct": "partially_achieved", "transparency": "partially_achieved"}
    return await rated_and_closed(plan, ratings, note="Progress made")


async def results_framework_with_measurement_due(
    env: WorkflowEnvironment, task_queue: str, today: date
) -> WorkflowPlan:
    """Two outcomes, a quarterly indicator with period targets that misses a quarter
    (measurement_due), a measurement, a revised path, a final assessment, closing."""
    start = today.replace(day=1)
    lifecycle = Lifecycle.for_plan(
        f"TZA-{start.year}",
        period_start=start,
        period_end=start.replace(year=start.year + 2) - timedelta(days=1),
        outcomes=(Outcome("O1"), Outcome("O1.1", parent_id="O1"), Outcome("O2")),
        milestones=(Milestone("M1", start + timedelta(days=400), outcome_id="O2"),),
        indicators=(
            Indicator(
                "I1",
                reporting_frequency="quarterly",
                outcome_id="O1.1",
                period_targets=((start + timedelta(days=300), 40),),
            ),
            Indicator("I2", outcome_id="O2", reporting_frequency="annual"),
        ),
        open_fields={"reminder_policy": {"measurement_grace_days": 10}},
    )
    plan = WorkflowPlan(env.client, task_queue, lifecycle)
    await plan.advance(Stage.IMPLEMENTATION)
    await env.sleep(timedelta(days=110))  # the first quarter and its grace days pass
    await plan.send(plan.focal, **Measurement("I1", 25, start + timedelta(days=100)).command())
    await plan.send(
        plan.manager,
        type="revise_indicator_target",
        indicator_id="I1",
        new_target=85,
        reason="Survey rescheduled",
        new_period_targets=[{"due": (start + timedelta(days=400)).isoformat(), "target": 50}],
    )
    await plan.send(plan.manager, type="start_evaluation")
    await plan.send(
        plan.focal,
        type="record_final_assessment",
        key_factor="code_of_conduct",
        maturity=4,
        summary="Code adopted and trained",
    )
    return await rated_and_closed(plan, {"code_of_conduct": "achieved"}, note="Delivered")


async def cancelled_in_drafting(
    env: WorkflowEnvironment, task_queue: str, today: date
) -> WorkflowPlan:
    plan = WorkflowPlan(env.client, task_queue, Lifecycle.for_plan(f"KEN-{today.year}"))
    await plan.advance(Stage.DRAFTING)
    await plan.send(plan.manager, type="cancel_plan", reason="Administration withdrew")
    return plan


async def smtp_down_then_cancelled(
    env: WorkflowEnvironment, pool: asyncpg.Pool, today: date
) -> WorkflowPlan:
    """Deliveries that fail and are retried later by the outbox, then the plan cancelled."""
    lifecycle = Lifecycle.for_plan(
        f"SEN-{today.year}",
        period_end=date(today.year + 1, 12, 31),
        milestones=(Milestone("M1", today + timedelta(days=3)),),
    )
    focal = lifecycle.cast.focal
    await add_user(
        pool,
        PostgresEventStore(pool),
        focal.name,
        Role.FOCAL_POINT,
        lifecycle.country,
        "focal@sen.example",
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = int(probe.getsockname()[1])  # nothing listens there: SMTP is down
    smtp = SmtpSettings(host="127.0.0.1", port=closed_port, sender="acip@test.example")
    task_queue = f"acip-record-smtp-{uuid.uuid4()}"
    async with build_worker(
        env.client, task_queue, pool, store=PostgresEventStore(pool), smtp=smtp
    ):
        plan = WorkflowPlan(env.client, task_queue, lifecycle)
        await plan.advance(Stage.IMPLEMENTATION)
        await env.sleep(timedelta(days=5))
        await plan.send(plan.manager, type="cancel_plan", reason="Administration withdrew")
        await env.client.get_workflow_handle(f"plan-{plan.plan_id}").result()
    return plan


async def save_history(client: Client, plan: WorkflowPlan, folder: Path, name: str) -> Path:
    handle = client.get_workflow_handle(f"plan-{plan.plan_id}")
    await handle.result()
    history = await handle.fetch_history()
    path = folder / f"{name}_{GENERATION}.json"
    path.write_text(history.to_json())
    return path


async def record(database_url: str, folder: Path) -> list[Path]:
    await migrate_all(database_url)
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4, init=init_connection)
    assert pool is not None
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    task_queue = f"acip-record-{uuid.uuid4()}"
    try:
        today = (await env.get_current_time()).date()
        async with build_worker(env.client, task_queue, pool, store=PostgresEventStore(pool)):
            full = await full_lifecycle_with_reminders(env, task_queue, today)
            cancelled = await cancelled_in_drafting(env, task_queue, today)
            results = await results_framework_with_measurement_due(env, task_queue, today)
            written = [
                await save_history(env.client, full, folder, "full_lifecycle_with_reminders"),
                await save_history(env.client, cancelled, folder, "cancelled_in_drafting"),
                await save_history(
                    env.client, results, folder, "results_framework_with_measurement_due"
                ),
            ]
        smtp_down = await smtp_down_then_cancelled(env, pool, today)
        written.append(
            await save_history(env.client, smtp_down, folder, "smtp_down_then_cancelled")
        )
        return written
    finally:
        await env.shutdown()
        await pool.close()


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else HISTORIES
    folder.mkdir(parents=True, exist_ok=True)
    with temporary_postgres("acip-record-pg-") as database_url:
        written = asyncio.run(record(database_url, folder))
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    status = main(sys.argv[1:])
    sys.stdout.flush()
    # temporalio's native runtime can abort the interpreter at exit (see ARCHITECTURE.md).
    os._exit(status)
