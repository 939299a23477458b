"""measurement_due on Temporal's time-skipping test server: a quarterly indicator asks for
its measurement grace days after each quarter ends, once per quarter; a measurement dated
inside a quarter stops it; a plan whose deadlines are long past catches up with one event
per indicator for the latest missed quarter, counting the missed ones. The reminders reach
the country's focal points through the notification outbox."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import asyncpg
from temporalio.testing import WorkflowEnvironment

from api.users import add_user
from domain import Role
from domain.periods import add_months
from eventstore import PostgresEventStore
from tests.integration.conftest import Skipping
from tests.support.ids import unique_plan_id
from tests.support.plans import Indicator, Lifecycle, Milestone, Stage, WorkflowPlan
from tests.support.polling import eventually
from workers.temporal import build_worker

GRACE = 10
POLICY = {"reminder_policy": {"measurement_grace_days": GRACE}}


def quarterly_plan(plan_id: str, start: date, years: int, milestone_due: date) -> Lifecycle:
    return Lifecycle.for_plan(
        plan_id,
        period_start=start,
        period_end=start.replace(year=start.year + years) - timedelta(days=1),
        milestones=(Milestone("M1", milestone_due),),
        indicators=(Indicator(reporting_frequency="quarterly"),),
        open_fields=POLICY,
    )


async def _due(store: PostgresEventStore, stream: str) -> list[dict[str, Any]]:
    return [e.data for e in await store.read_stream(stream) if e.type == "measurement_due"]


async def _settle(store: PostgresEventStore, stream: str, count: int) -> None:
    # Activities run in real time after the skipped timer fires; give them a moment.
    await eventually(
        lambda: _due(store, stream),
        what=f"{count} measurement_due in {stream}",
        until=lambda due: len(due) >= count,
    )


async def _finish(plan: WorkflowPlan) -> None:
    """End the plan's workflow while its worker runs: the time-skipping server is shared by
    the session, and a timer of a plan left running, firing later with no worker to take
    its task, would hold time still for the tests after this one."""
    await plan.send(plan.manager, type="cancel_plan", reason="End of the test")


def _quarter_end(start: date, n: int) -> date:
    return add_months(start, 3 * n) - timedelta(days=1)


async def test_quarterly_indicator_missed_then_measured(
    skipping: Skipping, task_queue: str, pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    env, day0, plan_id = skipping.env, skipping.today, skipping.plan_id
    start = day0.replace(day=1)
    lifecycle = quarterly_plan(plan_id, start, 2, start + timedelta(days=700))
    focal = lifecycle.cast.focal.name
    await add_user(pool, store, focal, Role.FOCAL_POINT, lifecycle.country, None)
    stream = f"plan-{plan_id}"
    q1_end, q2_end, q3_end = (_quarter_end(start, n) for n in (1, 2, 3))
    async with build_worker(env.client, task_queue, pool, store=store):
        plan = WorkflowPlan(env.client, task_queue, lifecycle)
        await plan.advance(Stage.IMPLEMENTATION)
        midnight0 = (await env.get_current_time()).replace(
            hour=0, minute=0, second=0, microsecond=0
        )

        async def skip_to(day: date, hours: int = 1) -> None:
            target = midnight0 + timedelta(days=(day - day0).days, hours=hours)
            await env.sleep(target - await env.get_current_time())

        # Q1 unmeasured: nothing until its grace days have passed, then exactly one call.
        await skip_to(q1_end + timedelta(days=GRACE), hours=23)
        assert await _due(store, stream) == []
        await skip_to(q1_end + timedelta(days=GRACE + 1))
        await _settle(store, stream, 1)
        due = await _due(store, stream)
        assert [(d["period_ends"], d["missed_periods"]) for d in due] == [(str(q1_end), 1)]

        # A measurement dated inside Q2 (on its first day) stops Q2's call.
        await plan.send(
            plan.focal,
            type="record_measurement",
            indicator_id="I1",
            value=30,
            measured_on=(q1_end + timedelta(days=1)).isoformat(),
        )
        await skip_to(q2_end + timedelta(days=GRACE + 2))
        assert len(await _due(store, stream)) == 1

        # Q3 unmeasured: called for once, however long it stays so.
        await skip_to(q3_end + timedelta(days=GRACE + 1))
        await _settle(store, stream, 2)
        await skip_to(q3_end + timedelta(days=GRACE + 40))
        due = await _due(store, stream)
        assert [(d["period_ends"], d["missed_periods"]) for d in due] == [
            (str(q1_end), 1),
            (str(q3_end), 1),
        ]
        reminders = [
            e.data
            for e in await store.read_stream(stream)
            if e.type == "reminder_sent" and e.data.get("kind") == "measurement_due"
        ]
        assert [r["due_date"] for r in reminders] == [str(q1_end), str(q3_end)]
        await _finish(plan)

    # Notified to the country's focal point through the outbox (recorded: no SMTP here).
    rows = await eventually(
        lambda: pool.fetch("SELECT recipient, kind FROM notifications WHERE plan_id = $1", plan_id),
        what="two notifications",
        until=lambda rows: len(rows) >= 2,
    )
    assert sorted((r["recipient"], r["kind"]) for r in rows) == [
        (focal, "measurement_due"),
        (focal, "measurement_due"),
    ]


async def test_catch_up_raises_one_per_indicator_for_the_latest_missed_quarter(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    pool: asyncpg.Pool,
    store: PostgresEventStore,
) -> None:
    """A plan approved 14 months into its period (as after a long stop): its timer is armed
    with deadlines long past, and fires once."""
    env = time_skipping_env
    day0 = (await env.get_current_time()).date()
    start = add_months(day0.replace(day=1), -14)
    plan_id = unique_plan_id(year=start.year)
    stream = f"plan-{plan_id}"
    lifecycle = quarterly_plan(plan_id, start, 3, day0 + timedelta(days=300))
    async with build_worker(env.client, task_queue, pool, store=store):
        plan = WorkflowPlan(env.client, task_queue, lifecycle)
        await plan.advance(Stage.IMPLEMENTATION)
        await env.sleep(timedelta(hours=1))
        await _settle(store, stream, 1)
        await env.sleep(timedelta(days=5))
        due = await _due(store, stream)
        await _finish(plan)
    # Quarters 1-4 ended more than the grace days ago (quarter 5 ends 1-2 months from now,
    # minus the days already into this month): one call, for quarter 4, counting 4.
    assert [(d["indicator_id"], d["period_ends"], d["missed_periods"]) for d in due] == [
        ("I1", str(_quarter_end(start, 4)), 4)
    ]
