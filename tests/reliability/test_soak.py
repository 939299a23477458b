"""Fault 6, the soak: 50 plans driven concurrently through their whole lifecycle on Temporal's
time-skipping server, through a year of reminders, overdue milestones, escalations, a
reschedule and the evaluation raised by time, with e-mail on a loopback SMTP server.

Then the invariants: every stream contiguous and hash-chained, the read models equal a
rebuild, exactly the time events the domain rules call for, one notification record per
(reminder or escalation event, recipient), and one e-mail per record.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from activities.notifications import SmtpSettings
from api.users import add_user
from domain import Role
from eventstore import PostgresEventStore
from projections.projector import Projector
from tests.reliability.harness import (
    assert_read_models_equal_rebuild,
    assert_streams_intact,
    smtp_inbox,
    unfold,
)
from tests.reliability.plans import Caller
from tests.support.ids import country_of, unique_plan_id
from tests.support.plans import MANAGER, Lifecycle, Milestone, Stage, WorkflowPlan
from tests.support.polling import eventually
from tests.support.pools import event_pool
from workers.temporal import build_worker

pytestmark = pytest.mark.slow

PLANS = 50
CONCURRENT_COMMANDS = 12
# Days after day 0 (the approval day): due dates and when the test acts.
M1_DUE, M2_DUE, M3_DUE, M3_NEW_DUE, PERIOD_DAYS = 40, 100, 200, 250, 360
TIME_EVENTS = ("reminder_sent", "milestone_overdue", "milestone_escalated", "evaluation_started")


@pytest.fixture
async def pool(fresh_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with event_pool(fresh_database_url, max_size=12, min_size=2) as created:
        yield created


def late(index: int) -> bool:
    """Odd plans let M2 run overdue (reminders, repeats, escalation); even ones finish it."""
    return index % 2 == 1


def expected_time_events(index: int) -> Counter[str]:
    expected = Counter({"reminder_sent/due_soon": 3, "evaluation_started/": 1})
    if late(index):
        # Overdue on day 101 with a reminder, repeats on 108 and 115, escalated on 115.
        expected.update({"milestone_overdue/": 1, "reminder_sent/overdue": 3})
        expected.update({"milestone_escalated/": 1})
    return expected


async def test_fifty_plans_through_a_year(
    time_skipping_env: WorkflowEnvironment, task_queue: str, pool: asyncpg.Pool
) -> None:
    env = time_skipping_env
    store = PostgresEventStore(pool)
    started = time.perf_counter()
    now = await env.get_current_time()
    midnight0 = now.replace(hour=0, minute=0, second=0, microsecond=0)
    day0 = midnight0.date()
    plan_ids = [unique_plan_id(year=day0.year) for _ in range(PLANS)]
    countries = [country_of(plan_id) for plan_id in plan_ids]
    for country in countries:
        lower = country.lower()
        await add_user(pool, store, f"{lower}.focal", Role.FOCAL_POINT, country, f"focal@{lower}.x")
        await add_user(
            pool, store, f"{lower}.head", Role.HEAD_OF_ADMINISTRATION, country, f"head@{lower}.x"
        )
    await add_user(pool, store, "wco.pm", Role.PROGRAMME_MANAGER, None, "pm@wco.x")

    due = tuple(
        Milestone(f"M{n}", day0 + timedelta(days=d))
        for n, d in enumerate((M1_DUE, M2_DUE, M3_DUE), start=1)
    )
    plans = [
        Caller(
            WorkflowPlan(
                env.client,
                task_queue,
                Lifecycle.for_plan(
                    plan_id,
                    period_start=day0,
                    period_end=day0 + timedelta(days=PERIOD_DAYS),
                    milestones=due,
                ),
            ),
            attempts=3,
        )
        for plan_id in plan_ids
    ]
    gate = asyncio.Semaphore(CONCURRENT_COMMANDS)

    async def each(action: Callable[[int, Caller], Awaitable[None]]) -> None:
        async def one(index: int, caller: Caller) -> None:
            async with gate:
                await action(index, caller)

        await asyncio.gather(*(one(i, c) for i, c in enumerate(plans)))

    async def skip_to(day: int, hour: int = 2) -> None:
        target = midnight0 + timedelta(days=day, hours=hour)
        await env.sleep(target - await env.get_current_time())

    async def time_events() -> int:
        count = await pool.fetchval(
            "SELECT count(*) FROM events WHERE type = ANY($1::text[])", list(TIME_EVENTS)
        )
        return int(count)

    async def settle(expected: int) -> None:
        async def reached() -> bool:
            return await time_events() >= expected

        await eventually(reached, within=120, what=f"{expected} time events")

    def send(actor_of: str, command: dict[str, object]) -> Callable[[int, Caller], Awaitable[None]]:
        async def action(_index: int, caller: Caller) -> None:
            actor = {"focal": caller.plan.focal, "manager": MANAGER}[actor_of]
            await caller.send(actor, command)

        return action

    async def to_implementation(_index: int, caller: Caller) -> None:
        await caller.run(caller.plan.next_steps(Stage.IMPLEMENTATION))

    def measure(value: float, day: int) -> Callable[[int, Caller], Awaitable[None]]:
        measured_on = (day0 + timedelta(days=day)).isoformat()
        return send(
            "focal",
            {"type": "record_measurement", "indicator_id": "I1", "value": value,
             "measured_on": measured_on},
        )  # fmt: skip

    def complete(milestone: str) -> Callable[[int, Caller], Awaitable[None]]:
        return send(
            "focal", {"type": "complete_milestone", "milestone_id": milestone, "evidence": "Done"}
        )

    async def complete_m2_if(want_late: bool, index: int, caller: Caller) -> None:
        if late(index) == want_late:
            await complete("M2")(index, caller)

    async def on_time(index: int, caller: Caller) -> None:
        await complete_m2_if(False, index, caller)

    async def after_escalation(index: int, caller: Caller) -> None:
        await complete_m2_if(True, index, caller)

    with smtp_inbox() as (inbox, url):
        smtp = SmtpSettings(host="127.0.0.1", port=int(url.rsplit(":", 1)[1]), sender="a@x")
        async with build_worker(
            env.client, task_queue, pool, store=PostgresEventStore(pool), smtp=smtp
        ):
            await each(to_implementation)
            commands_at = time.perf_counter()
            await skip_to(20)
            await each(
                send("focal", {"type": "report_milestone_progress", "milestone_id": "M1",
                               "percent": 50, "note": "Half way"})
            )  # fmt: skip
            await each(measure(30, 20))
            await skip_to(34)
            await settle(PLANS)  # M1 due soon (day 33)
            await skip_to(38)
            await each(complete("M1"))
            await skip_to(94)
            await settle(2 * PLANS)  # M2 due soon (day 93)
            await each(on_time)
            await skip_to(116)
            await settle(2 * PLANS + 5 * (PLANS // 2))  # late: overdue, 3 reminders, escalation
            await each(after_escalation)
            await skip_to(150)
            await each(measure(55, 150))
            await each(
                send("manager", {"type": "reschedule_milestone", "milestone_id": "M3",
                                 "new_due_date": (day0 + timedelta(days=M3_NEW_DUE)).isoformat(),
                                 "reason": "Budget arrives later"})
            )  # fmt: skip
            await skip_to(M3_NEW_DUE - 6)
            await settle(3 * PLANS + 5 * (PLANS // 2))  # M3 due soon (day 243)
            await each(complete("M3"))
            await each(measure(85, M3_NEW_DUE - 6))
            await skip_to(PERIOD_DAYS + 2)
            await settle(4 * PLANS + 5 * (PLANS // 2))  # evaluation started by time
            await each(
                send("manager", {"type": "rate_key_factor", "key_factor": "code_of_conduct",
                                 "rating": "achieved", "note": "Code published and trained"})
            )  # fmt: skip
            await each(send("manager", {"type": "close_plan", "summary": "Plan delivered"}))
            driven_in = time.perf_counter() - commands_at

            expected_records = sum(3 + (5 if late(i) else 0) for i in range(PLANS))

            async def all_notified() -> bool:
                sent = await pool.fetchval(
                    "SELECT count(*) FROM notifications WHERE status = 'sent'"
                )
                return bool(sent >= expected_records and len(inbox.messages) >= sent)

            await eventually(all_notified, within=120, what="every e-mail")
        messages = inbox.by_recipient_and_subject()

    # Invariants. Streams: contiguous and chained.
    checked = await assert_streams_intact(store)
    # Exactly the time events the rules call for, per plan; every plan closed.
    for index, caller in enumerate(plans):
        events = await store.read_stream(f"plan-{caller.plan.plan_id}")
        kinds = Counter(
            f"{e.type}/{e.data.get('kind', '')}" for e in events if e.type in TIME_EVENTS
        )
        assert kinds == expected_time_events(index), caller.plan.plan_id
        assert events[-1].type == "plan_closed"
    # One notification record per (event, recipient), with the right recipients.
    records = await pool.fetch(
        "SELECT n.event_id, n.recipient, n.email, n.subject, e.type, e.stream_id"
        " FROM notifications n JOIN events e USING (event_id)"
    )
    assert len(records) == expected_records
    assert len({(r["event_id"], r["recipient"]) for r in records}) == len(records)
    for record in records:
        lower = record["stream_id"][len("plan-") : len("plan-") + 3].lower()
        if record["type"] == "reminder_sent":
            assert record["recipient"] == f"{lower}.focal"
        else:
            assert record["recipient"] in (f"{lower}.head", "wco.pm")
    reminders = await pool.fetchval(
        "SELECT count(*) FROM events WHERE type IN ('reminder_sent', 'milestone_escalated')"
    )
    notified = await pool.fetchval("SELECT count(DISTINCT event_id) FROM notifications")
    assert reminders == notified
    # One e-mail per record: same (address, subject) multiset, nothing sent twice.
    assert messages == Counter((r["email"], unfold(r["subject"])) for r in records)
    # The read models, applied incrementally, equal a rebuild.
    result = await Projector(pool, store, batch_size=97).catch_up()
    assert result.failure is None
    rows = await assert_read_models_equal_rebuild(pool)
    summaries = await pool.fetch("SELECT phase FROM rm_plans.summary")
    assert [s["phase"] for s in summaries] == ["closed"] * PLANS

    commands = sum(len(c.answers) for c in plans)
    print(
        f"\nsoak: {PLANS} plans, {commands} commands and {reminders} reminder/escalation events "
        f"over {PERIOD_DAYS + 2} skipped days in {driven_in:.0f} s (whole test "
        f"{time.perf_counter() - started:.0f} s); {checked} events intact; "
        f"{len(records)} notifications and {sum(messages.values())} e-mails, one each; "
        f"read models ({rows} rows) equal a rebuild"
    )
