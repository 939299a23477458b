"""SMTP down for a simulated week while a milestone goes overdue and escalates (Temporal's
time-skipping server, aiosmtpd on loopback started only after the week).

The timer loop never waits for the mail server: every time event is stored at its deadline.
The deliveries fail, are recorded as ``failed`` with their error, are retried later, and
arrive once the server is back, each exactly once.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import asyncpg
from aiosmtpd.controller import Controller

from activities.notification_records import list_notifications
from activities.notifications import SmtpSettings
from api.context import ApiContext
from api.users import add_user
from domain import Role
from eventstore import PostgresEventStore
from tests.integration.conftest import Skipping
from tests.support.api_stack import dashboard_page
from tests.support.mail import Inbox, free_port
from tests.support.plans import MANAGER, Lifecycle, Milestone, Stage, WorkflowPlan
from tests.support.polling import eventually
from workers.temporal import build_worker
from workflows.plan import PlanWorkflow

POLICY = {"due_soon_days": 7, "repeat_every_days": 7, "escalate_after_days": 3}


async def _eventually_rows(pool: asyncpg.Pool, plan_id: str, status: str, count: int) -> None:
    async def found() -> list[str]:
        rows = await list_notifications(pool, plan_id=plan_id, status=status)
        return [f"{row.kind}:{row.recipient}" for row in rows]

    await eventually(
        found,
        until=lambda rows: len(rows) >= count,
        within=10,
        what=f"{count} {status} notifications of {plan_id}",
    )


async def test_a_week_without_smtp_delays_emails_but_never_the_timers(
    skipping: Skipping, task_queue: str, pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    env, day0, plan_id = skipping.env, skipping.today, skipping.plan_id
    stream = f"plan-{plan_id}"
    due = day0 + timedelta(days=2)
    lifecycle = Lifecycle.for_plan(
        plan_id,
        period_end=day0.replace(year=day0.year + 2),
        milestones=(Milestone("M1", due),),
        open_fields={"reminder_policy": POLICY},
    )
    country, cast = lifecycle.country, lifecycle.cast
    await add_user(pool, store, cast.focal.name, Role.FOCAL_POINT, country, "focal@moz.example")
    await add_user(
        pool, store, cast.head.name, Role.HEAD_OF_ADMINISTRATION, country, "head@moz.example"
    )
    manager_token = await add_user(
        pool, store, "wco.pm", Role.PROGRAMME_MANAGER, None, "pm@wco.example"
    )
    port = free_port()  # nothing listens here until the week is over
    smtp = SmtpSettings(host="127.0.0.1", port=port, sender="acip@test.example")
    midnight = datetime.combine(day0, datetime.min.time()).replace(
        tzinfo=(await env.get_current_time()).tzinfo
    )
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    async with build_worker(
        env.client, task_queue, pool, store=PostgresEventStore(pool), smtp=smtp
    ):
        plan = WorkflowPlan(env.client, task_queue, lifecycle)
        approved = await plan.advance(Stage.IMPLEMENTATION)
        assert approved is not None

        await env.sleep(midnight + timedelta(days=6, hours=12) - await env.get_current_time())
        # Mid-outage: the time events are all stored; their deliveries failed and are queued.
        await _eventually_rows(pool, plan_id, "failed", 4)
        failed = await list_notifications(pool, plan_id=plan_id, status="failed")
        assert all(row.error and "Connect" in row.error for row in failed), failed
        status = await env.client.get_workflow_handle(stream).query(PlanWorkflow.status)
        assert status.queued_notifications == 3 and status.failing_notifications >= 1
        assert status.timer_failures == 0
        # The dashboard's plan page says so, with the error.
        context = ApiContext(pool=pool, store=store, temporal=env.client, task_queue=task_queue)
        page = await dashboard_page(context, manager_token, f"/ui/plans/{plan_id}")
        assert 'id="undelivered"' in page.text and "4 notifications not delivered yet" in page.text
        assert "(retried later)" in page.text and "SMTPConnectError" in page.text

        await env.sleep(midnight + timedelta(days=7) - await env.get_current_time())
        assert inbox.messages == []
        controller.start()
        try:
            await env.sleep(timedelta(days=2))
            await _eventually_rows(pool, plan_id, "sent", 4)
            status = await env.client.get_workflow_handle(stream).query(PlanWorkflow.status)
            assert status.queued_notifications == 0
        finally:
            controller.stop()
        # End the plan: an open workflow with timers and no worker would stop the shared
        # time-skipping server from skipping time for the tests that follow.
        await plan.send(MANAGER, type="cancel_plan", reason="End of the outage test")
        await env.client.get_workflow_handle(stream).result()

    events = await store.read_stream(stream)
    timed = [(e.type, e.data.get("kind"), e.occurred_at) for e in events[:-1]]
    overdue_at = midnight + timedelta(days=3)
    escalated_at = overdue_at + timedelta(days=3)
    expected = [
        ("milestone_overdue", None, overdue_at),
        ("reminder_sent", "overdue", overdue_at),
        ("milestone_escalated", None, escalated_at),
    ]
    approved_at = approved.events[-1].occurred_at
    after_approval = [e for e in timed if e[2] > approved_at and e[1] != "due_soon"]
    assert [(t, k) for t, k, _ in after_approval] == [(t, k) for t, k, _ in expected]
    # On time: at the deadline, give or take the workflow task that handles the timer (the
    # clock is skipped, so days of waiting on the mail server would show here as days).
    for (_, _, stored_at), (_, _, deadline) in zip(after_approval, expected, strict=True):
        assert deadline <= stored_at < deadline + timedelta(seconds=5), (stored_at, deadline)
    due_soon = [e for e in events if e.data.get("kind") == "due_soon"]
    # Already past at approval: caught up by the timer right after it.
    assert len(due_soon) == 1
    assert approved_at <= due_soon[0].occurred_at < approved_at + timedelta(seconds=5)

    # Each e-mail exactly once: the due-soon and overdue reminders to the focal point, the
    # escalation to the head and the programme manager.
    sent = Counter((str(m["To"]), str(m["Subject"])) for m in inbox.messages)
    assert all(count == 1 for count in sent.values()), sent
    assert sorted(to for to, _ in sent) == sorted(
        ["focal@moz.example", "focal@moz.example", "head@moz.example", "pm@wco.example"]
    )
    rows = await list_notifications(pool, plan_id=plan_id)
    assert {row.status for row in rows} == {"sent"} and len(rows) == 4
    lateness = [stored_at - deadline for (_, _, stored_at), (_, _, deadline) in zip(
        after_approval, expected, strict=True)]  # fmt: skip
    print(
        f"\ntime events stored {[str(late) for late in lateness]} after their deadlines; "
        f"attempts per notification {sorted(row.attempts for row in rows)}; "
        f"{len(inbox.messages)} e-mails, {max(sent.values())} per (recipient, subject) at most"
    )
    assert all(row.attempts >= 2 for row in rows)  # failed first, sent later
