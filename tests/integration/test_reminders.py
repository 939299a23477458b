"""Durable reminders and escalations on Temporal's time-skipping test server.

A milestone due 30 days after approval: due_soon at day 23, overdue with a reminder at
day 31, a repeat at day 38, the escalation (and a repeat) at day 45, nothing after
completion. An aiosmtpd server on loopback receives exactly the expected e-mails.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from activities.notifications import SmtpSettings
from api.users import add_user
from domain import Role
from eventstore import PostgresEventStore
from tests.support.ids import unique_country, unique_plan_id
from tests.support.mail import Inbox, smtp_server
from tests.support.plans import Lifecycle, Milestone, Stage, WorkflowPlan
from tests.support.polling import eventually
from workers.temporal import build_worker


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[Inbox, SmtpSettings]]:
    with smtp_server() as (inbox, smtp):
        yield inbox, smtp


async def _time_events(store: PostgresEventStore, stream: str) -> list[tuple[str, str]]:
    events = await store.read_stream(stream)
    return [
        (e.type, str(e.data.get("kind", "")))
        for e in events
        if e.type in ("reminder_sent", "milestone_overdue", "milestone_escalated")
    ]


async def _settle(store: PostgresEventStore, stream: str, count: int) -> None:
    # Activities run in real time after the skipped timer fires; give them a moment.
    await eventually(
        lambda: _time_events(store, stream),
        until=lambda seen: len(seen) >= count,
        within=10,
        what=f"{count} time events in {stream}",
    )


def _recipients(messages: list[Message]) -> list[tuple[str, str]]:
    return [(str(m["To"]), str(m["Subject"]).split("] ", 1)[1].split(" '")[0]) for m in messages]


async def test_reminders_escalation_and_emails(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    pool: asyncpg.Pool,
    store: PostgresEventStore,
    smtp_inbox: tuple[Inbox, SmtpSettings],
) -> None:
    inbox, smtp = smtp_inbox
    env = time_skipping_env
    now = await env.get_current_time()
    day0 = now.date()
    # The time-skipping server's clock starts at the real now: the plan runs from this year.
    plan_id = unique_plan_id(year=day0.year)
    lifecycle = Lifecycle.for_plan(
        plan_id,
        period_end=day0.replace(year=day0.year + 2),
        milestones=(Milestone("M1", day0 + timedelta(days=30)),),
    )
    plan_focal, plan_head = lifecycle.cast.focal, lifecycle.cast.head
    await add_user(
        pool, store, plan_focal.name, Role.FOCAL_POINT, lifecycle.country, "focal@tmr.example"
    )
    await add_user(
        pool,
        store,
        plan_head.name,
        Role.HEAD_OF_ADMINISTRATION,
        lifecycle.country,
        "head@tmr.example",
    )
    await add_user(pool, store, "wco.pm", Role.PROGRAMME_MANAGER, None, "pm@wco.example")
    other = unique_country(year=day0.year)
    await add_user(
        pool, store, f"{other.lower()}.focal", Role.FOCAL_POINT, other, "other@xyz.example"
    )

    stream = f"plan-{plan_id}"
    async with build_worker(
        env.client, task_queue, pool, store=PostgresEventStore(pool), smtp=smtp
    ):
        plan = WorkflowPlan(env.client, task_queue, lifecycle)
        await plan.advance(Stage.IMPLEMENTATION)

        # Day 22 23:00: nothing yet. Timers are at 00:00 UTC; "day N" is day0 + N days.
        start = await env.get_current_time()
        midnight0 = start.replace(hour=0, minute=0, second=0, microsecond=0)

        async def skip_to(days: int, hours: int = 1) -> None:
            target = midnight0 + timedelta(days=days, hours=hours)
            await env.sleep(target - await env.get_current_time())

        await skip_to(22, hours=23)
        assert await _time_events(store, stream) == []

        await skip_to(23)
        await _settle(store, stream, 1)
        assert await _time_events(store, stream) == [("reminder_sent", "due_soon")]

        await skip_to(30, hours=23)
        assert len(await _time_events(store, stream)) == 1

        await skip_to(31)
        await _settle(store, stream, 3)
        assert await _time_events(store, stream) == [
            ("reminder_sent", "due_soon"),
            ("milestone_overdue", ""),
            ("reminder_sent", "overdue"),
        ]

        await skip_to(38)
        await _settle(store, stream, 4)
        assert (await _time_events(store, stream))[-1] == ("reminder_sent", "overdue")
        assert len(await _time_events(store, stream)) == 4

        await skip_to(45)
        await _settle(store, stream, 6)
        assert sorted((await _time_events(store, stream))[4:]) == [
            ("milestone_escalated", ""),
            ("reminder_sent", "overdue"),
        ]

        await plan.send(
            plan.focal, type="complete_milestone", milestone_id="M1", evidence="Done late"
        )
        await skip_to(80)
        assert len(await _time_events(store, stream)) == 6

    # One e-mail per reminder to the focal point; the escalation to the head and the manager.
    await _settle(store, stream, 6)
    to = sorted(str(m["To"]) for m in inbox.messages)
    assert to == sorted(["focal@tmr.example"] * 4 + ["head@tmr.example", "pm@wco.example"]), (
        _recipients(inbox.messages)
    )
    # This plan's only: other tests of the session share the database.
    rows = await pool.fetch(
        "SELECT recipient, kind, status FROM notifications WHERE plan_id = $1 ORDER BY 1, 2",
        plan_id,
    )
    assert len(rows) == 6
    assert all(row["status"] == "sent" for row in rows)
    assert sum(1 for m in inbox.messages if "Escalation" in str(m["Subject"])) == 2
    assert message_from_bytes(inbox.messages[0].as_bytes())["From"] == "acip@test.example"
