"""Fault 4: Temporal's dev server SIGKILLed and restarted on its SQLite file while plans are
mid-lifecycle, with two appends inside PostgreSQL at the moment of the kill (they commit
while the server is down, so their activities cannot report):

- P1 in implementation, its reminder timer armed weeks ahead;
- P2 just approved with a milestone long overdue: its catch-up (overdue, reminder,
  escalation) is the append held at the kill, its e-mails come after the restart;
- P3 in drafting; P4 in diagnostic with a command in flight (the caller retries with its
  command_id if it got a retryable error).

The worker process is never restarted: it must reconnect by itself. Afterwards: each event
stored once, P2's time events fired once with one notification and one e-mail per
recipient, P1's timer still armed at the domain's next deadline, and every plan takes
commands again.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

from api.users import add_user
from domain import Role, next_deadline
from domain.timers import due_soon_at
from eventstore import PostgresEventStore, init_connection
from tests.reliability.harness import (
    DevServer,
    VersionHold,
    admin_pool,
    assert_streams_intact,
    children,
    smtp_inbox,
)
from tests.reliability.plans import Caller
from tests.support.ids import unique_plan_id
from tests.support.plans import Lifecycle, Milestone, Stage, WorkflowPlan
from tests.support.polling import eventually
from workflows.plan import PlanWorkflow

pytestmark = pytest.mark.slow

DOWNTIME = 12.0  # seconds Temporal stays down
TIME_EVENTS = ("milestone_overdue", "reminder_sent", "milestone_escalated")


async def pending_timers(handle: WorkflowHandle) -> list[datetime]:
    """Fire times of the timers started and neither fired nor cancelled, from history."""
    started: dict[str, datetime] = {}
    for event in (await handle.fetch_history()).events:
        if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            attributes = event.timer_started_event_attributes
            started[attributes.timer_id] = (
                event.event_time.ToDatetime(tzinfo=UTC)
                + attributes.start_to_fire_timeout.ToTimedelta()
            )
        elif event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            started.pop(event.timer_fired_event_attributes.timer_id, None)
        elif event.event_type == EventType.EVENT_TYPE_TIMER_CANCELED:
            started.pop(event.timer_canceled_event_attributes.timer_id, None)
    return sorted(started.values())


def near(a: datetime, b: datetime) -> bool:
    # The timer is armed for (deadline - workflow.now()) at the workflow task's start.
    return abs(a - b) < timedelta(minutes=2)


async def test_temporal_killed_and_restarted_mid_lifecycle(
    fresh_database_url: str, tmp_path: Path
) -> None:
    today = datetime.now(UTC).date()
    last_year = date(today.year - 1, 1, 1)
    loop = asyncio.get_running_loop()
    pool = await asyncpg.create_pool(
        fresh_database_url, min_size=1, max_size=6, init=init_connection
    )
    assert pool is not None
    try:
        with children(tmp_path) as kids, smtp_inbox() as (inbox, smtp_url):
            server = DevServer(tmp_path, kids)
            await server.start()
            client = await server.client()
            queue = "acip-restart"
            year_start = date(today.year, 1, 1)
            p1_due = today + timedelta(days=60)
            p2_due = last_year + timedelta(days=30)

            def new_caller(start: date, days: int, *milestones: Milestone) -> Caller:
                lifecycle = Lifecycle.for_plan(
                    unique_plan_id(year=start.year),
                    period_start=start,
                    period_end=start + timedelta(days=days),
                    milestones=milestones,
                )
                return Caller(WorkflowPlan(client, queue, lifecycle))

            p1 = new_caller(year_start, 1000, Milestone("M1", p1_due))
            p2 = new_caller(last_year, 1400, Milestone("M1", p2_due))
            p3 = new_caller(year_start, 700, Milestone("M1", today + timedelta(days=90)))
            p4 = new_caller(year_start, 700)
            # The stages' commands, sent piece by piece to stop each plan where the test needs.
            p2_approval = p2.plan.lifecycle.steps(Stage.IMPLEMENTATION, after=Stage.DRAFTED)
            p3_drafting = p3.plan.lifecycle.steps_of(Stage.DRAFTED)
            store = PostgresEventStore(pool)
            for caller in (p1, p2, p3, p4):
                country = caller.plan.plan_id[:3]
                lower = country.lower()
                await add_user(
                    pool, store, f"{lower}.focal", Role.FOCAL_POINT, country, f"f@{lower}.x"
                )
                await add_user(
                    pool,
                    store,
                    f"{lower}.head",
                    Role.HEAD_OF_ADMINISTRATION,
                    country,
                    f"h@{lower}.x",
                )
            await add_user(pool, store, "wco.pm", Role.PROGRAMME_MANAGER, None, "pm@wco.x")
            worker = kids.worker(fresh_database_url, server.address, queue, smtp_url)

            async def p1_to_implementation() -> None:
                await p1.run(p1.plan.next_steps(Stage.IMPLEMENTATION))

            async def p2_to_review() -> None:
                await p2.run(p2.plan.next_steps(Stage.DRAFTED))
                await p2.run(p2_approval[:2])  # submitted, approved by the head

            async def p3_to_drafting() -> None:
                await p3.run(p3.plan.next_steps(Stage.DRAFTING))
                await p3.run(p3_drafting[:1])  # the milestone, not yet the indicator

            await asyncio.gather(
                p1_to_implementation(),
                p2_to_review(),
                p3_to_drafting(),
                p4.run(p4.plan.next_steps(Stage.OPENED)),
            )
            handle1 = client.get_workflow_handle(f"plan-{p1.plan.plan_id}")
            state1 = await handle1.query(PlanWorkflow.state)
            assert state1 is not None
            deadline1 = next_deadline(state1)
            assert deadline1 is not None
            assert deadline1 == due_soon_at(state1.milestones["M1"], state1.reminder_policy)
            armed_before = await pending_timers(handle1)
            assert len(armed_before) == 1 and near(armed_before[0], deadline1)

            # Two appends held inside PostgreSQL: P2's catch-up after its approval, P4's command.
            stream2, stream4 = f"plan-{p2.plan.plan_id}", f"plan-{p4.plan.plan_id}"
            v2 = p2.answers[-1].version + 2  # the manager's approval appends two events
            hold2 = await VersionHold.start(fresh_database_url, stream2, v2 + 1)
            hold4 = await VersionHold.start(fresh_database_url, stream4, 2)
            async with admin_pool(fresh_database_url) as admin:
                try:
                    await p2.run(p2_approval[2:])
                    assert p2.answers[-1].version == v2
                    in_flight = asyncio.ensure_future(
                        p4.send(
                            p4.plan.focal,
                            {
                                "type": "record_diagnostic_finding",
                                "key_factor": "transparency",
                                "maturity": 2,
                                "summary": "Sent while Temporal dies",
                            },
                        )
                    )
                    await hold2.wait_for_waiter(admin)
                    await hold4.wait_for_waiter(admin)
                    server.kill()
                    killed_at = loop.time()
                finally:
                    await hold2.release()
                    await hold4.release()

                async def both_committed() -> bool:
                    count = await admin.fetchval(
                        "SELECT count(*) FROM events WHERE (stream_id, version) IN (($1, $2),"
                        " ($3, 2)) AND type <> 'placeholder'",
                        stream2,
                        v2 + 1,
                        stream4,
                    )
                    return bool(count == 2)

                await eventually(both_committed, within=30, what="the held appends to commit")
                # An outage longer than the client's and the worker's own RPC retries.
                await asyncio.sleep(DOWNTIME)
                await server.start()
                restarted_at = loop.time()

                # P4's caller: one answer (after retries with its command_id, if any).
                answer4 = await asyncio.wait_for(in_flight, timeout=120)
                answered_after = loop.time() - restarted_at

                expected_notifications = 3  # reminder: focal point; escalation: head and PM

                async def p2_notified() -> bool:
                    sent = await admin.fetchval(
                        "SELECT count(*) FROM notifications WHERE plan_id = $1 AND status = 'sent'",
                        p2.plan.plan_id,
                    )
                    return bool(sent >= expected_notifications)

                await eventually(p2_notified, within=120, what="P2's notifications")
                notified_after = loop.time() - restarted_at

            # The worker was never restarted: it reconnected and takes every plan's commands.
            handle1 = client.get_workflow_handle(f"plan-{p1.plan.plan_id}")
            armed_after_restart = await pending_timers(handle1)
            await p1.send(
                p1.plan.focal,
                {"type": "report_milestone_progress", "milestone_id": "M1", "percent": 40,
                 "note": "After the restart"},
            )  # fmt: skip
            await p2.send(
                p2.plan.focal,
                {"type": "complete_milestone", "milestone_id": "M1", "evidence": "Published"},
            )
            await p3.run(p3_drafting[1:] + p3.plan.lifecycle.steps_of(Stage.UNDER_REVIEW))
            await p4.run(p4.plan.lifecycle.steps_of(Stage.DRAFTING)[:3])
            assert worker.alive()
            state1 = await handle1.query(PlanWorkflow.state)
            assert state1 is not None and next_deadline(state1) == deadline1
            armed_after_command = await pending_timers(handle1)
            states = {
                c.plan.plan_id: await client.get_workflow_handle(f"plan-{c.plan.plan_id}").query(
                    PlanWorkflow.state
                )
                for c in (p1, p2, p3, p4)
            }
            await asyncio.sleep(0)  # let the inbox settle the last message it received
            messages = inbox.by_recipient_and_subject()

        store = PostgresEventStore(pool)
        checked = await assert_streams_intact(store)
        events2 = await store.read_stream(stream2)
        notifications = await pool.fetch(
            "SELECT event_id, recipient, status FROM notifications WHERE plan_id = $1",
            p2.plan.plan_id,
        )
        for caller in (p1, p2, p3, p4):
            stream = f"plan-{caller.plan.plan_id}"
            stored = [(e.version, e.event_id) for e in await store.read_stream(stream)]
            acknowledged = caller.acknowledged()
            assert len(set(stored)) == len(stored)
            assert set(acknowledged) <= set(stored), stream
            state = states[caller.plan.plan_id]
            assert state is not None and state.version == len(stored), stream
    finally:
        await pool.close()

    # The timer armed before the kill is still armed after the restart, at the deadline.
    assert len(armed_after_restart) == 1 and near(armed_after_restart[0], deadline1)
    assert len(armed_after_command) == 1 and near(armed_after_command[0], deadline1)
    # P4: one answer, its event stored once.
    assert answer4.version == 2
    # P2: the catch-up fired once: one overdue, one reminder, one escalation, then completed.
    time_events = [e.type for e in events2 if e.type in TIME_EVENTS]
    assert sorted(time_events) == sorted(TIME_EVENTS)
    assert events2[-1].type == "milestone_completed"
    reminder = next(e for e in events2 if e.type == "reminder_sent")
    escalation = next(e for e in events2 if e.type == "milestone_escalated")
    lower = p2.plan.plan_id[:3].lower()
    assert sorted((r["event_id"], r["recipient"]) for r in notifications) == sorted(
        [
            (reminder.event_id, f"{lower}.focal"),
            (escalation.event_id, f"{lower}.head"),
            (escalation.event_id, "wco.pm"),
        ]
    )
    assert {r["status"] for r in notifications} == {"sent"}
    # One e-mail per (recipient, message): nothing sent twice.
    assert sum(messages.values()) == 3 and set(messages.values()) == {1}
    print(
        f"\ntemporal restart: {checked} events intact; in-flight command answered "
        f"{answered_after:.1f} s after the restart ({p4.retries} caller retries); P2's catch-up "
        f"notified {notified_after:.1f} s after the restart; down "
        f"{restarted_at - killed_at:.1f} s; P1's timer re-armed at {deadline1.isoformat()}"
    )
