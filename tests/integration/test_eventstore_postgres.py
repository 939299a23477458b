"""Guarantees only PostgreSQL can show: commit-safe order under real concurrency, the
immutability trigger, LISTEN/NOTIFY subscriptions. Tamper evidence and payload fidelity are
tests/integration/test_eventstore_evidence.py."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest

from eventstore import NO_STREAM, PostgresEventStore, RecordedEvent
from tests.integration.store_contract import event, stream
from tests.support.polling import eventually

# -- commit-safe order ------------------------------------------------------------------

# Appends to streams named "slow-..." block inside their transaction (after they took
# their transaction id and positions) until the test releases advisory lock 4242.
_GATE = """
CREATE FUNCTION test_gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.stream_id LIKE 'slow-%' THEN
        PERFORM pg_advisory_xact_lock(4242);
        IF NEW.data ? 'fail' THEN
            RAISE EXCEPTION 'test gate: rolled back on purpose';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER test_gate BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION test_gate();
"""


async def _wait_until_blocked(conn: asyncpg.Connection) -> None:
    async def appends_waiting_at_the_gate() -> int:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242"
                " AND NOT granted"
            )
        )

    await eventually(
        appends_waiting_at_the_gate,
        within=5,
        interval=0.01,
        what="the slow append to reach the gate",
    )


@pytest.mark.parametrize("slow_outcome", ["commit", "rollback"])
async def test_reader_never_skips_an_event_that_commits_later_with_a_lower_position(
    private_pool: asyncpg.Pool, fresh_database_url: str, slow_outcome: str
) -> None:
    store = PostgresEventStore(private_pool)
    control = await asyncpg.connect(fresh_database_url)
    try:
        await control.execute(_GATE)
        await control.execute("SELECT pg_advisory_lock(4242)")
        head = await store.head_position()

        # A: starts first, so it owns the lower transaction id and positions; blocks.
        slow_data = {"fail": True} if slow_outcome == "rollback" else {"who": "A"}
        slow = asyncio.create_task(store.append(stream("slow"), NO_STREAM, [event(**slow_data)]))
        await _wait_until_blocked(control)
        # B: starts later (higher positions) and commits while A is still open.
        fast = await store.append(stream("fast"), NO_STREAM, [event(who="B")])

        # The reader must not pass A's position while A may still commit: B stays
        # invisible to read_all (and head_position) until A has ended.
        assert await store.read_all(head, max_wait=0.1) == []
        assert await store.head_position(max_wait=0.1) == head
        # ... while B is durable and readable by stream.
        assert len(await store.read_stream(fast.stream_id)) == 1

        await control.execute("SELECT pg_advisory_unlock(4242)")
        if slow_outcome == "commit":
            slow_result = await slow
            expected = [slow_result.events[0].event_id, fast.events[0].event_id]
            assert slow_result.events[0].global_position < fast.events[0].global_position
        else:
            with pytest.raises(asyncpg.PostgresError, match="rolled back on purpose"):
                await slow
            expected = [fast.events[0].event_id]

        seen: list[RecordedEvent] = []
        position = head
        while batch := await store.read_all(position, limit=1):
            seen.extend(batch)
            position = batch[-1].global_position
        assert [e.event_id for e in seen] == expected  # nothing skipped, nothing twice
    finally:
        with contextlib.suppress(asyncpg.PostgresError):
            await control.execute("DROP TRIGGER IF EXISTS test_gate ON events")
        await control.close()


async def test_followers_see_every_event_once_under_eight_concurrent_writers(
    private_pool: asyncpg.Pool,
) -> None:
    store = PostgresEventStore(private_pool)
    streams = [stream() for _ in range(8)]
    per_stream = 25
    seen: list[RecordedEvent] = []
    last_position: list[int] = []

    async def follow() -> None:
        position = 0
        # Until the writers are done and the follower has passed their last position;
        # a short read (the limit stops it, or nothing is safe to read yet) just repeats.
        while not last_position or position < last_position[0]:
            batch = await store.read_all(position, limit=7, max_wait=0)
            if batch:
                seen.extend(batch)
                position = batch[-1].global_position
            else:
                await asyncio.sleep(0.001)

    async def write(s: str) -> int:
        result = None
        for version in range(per_stream):
            result = await store.append(s, version, [event(n=version)])
        assert result is not None
        return result.events[-1].global_position

    follower = asyncio.create_task(follow())
    last_position.append(max(await asyncio.gather(*(write(s) for s in streams))))
    await asyncio.wait_for(follower, 10)
    assert len(seen) == 8 * per_stream
    assert len({e.event_id for e in seen}) == len(seen)
    positions = [e.global_position for e in seen]
    assert positions == sorted(positions)
    for s in streams:
        assert [e.data["n"] for e in seen if e.stream_id == s] == list(range(per_stream))


# -- immutability -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "operation"),
    [
        ("UPDATE events SET data = '{}' WHERE stream_id = $1", "UPDATE"),
        ("DELETE FROM events WHERE stream_id = $1", "DELETE"),
        ("TRUNCATE events", "TRUNCATE"),
    ],
)
async def test_trigger_refuses_changes(
    store: PostgresEventStore, pool: asyncpg.Pool, statement: str, operation: str
) -> None:
    s = stream()
    await store.append(s, NO_STREAM, [event()])
    args = (s,) if "$1" in statement else ()
    with pytest.raises(asyncpg.PostgresError, match=f"append-only: {operation} refused") as err:
        await pool.execute(statement, *args)
    assert err.value.sqlstate == "ES403"
    assert len(await store.read_stream(s)) == 1


# -- subscriptions ----------------------------------------------------------------------


async def _first_event_of(
    subscription: AsyncIterator[list[RecordedEvent]], stream_id: str
) -> RecordedEvent:
    async for batch in subscription:
        for recorded in batch:
            if recorded.stream_id == stream_id:
                return recorded
    raise AssertionError("subscription ended")


async def test_notification_wakes_a_subscriber_within_milliseconds(
    store: PostgresEventStore,
) -> None:
    head = await store.head_position()
    s = stream()
    # A long poll interval: only a notification can deliver the event quickly.
    subscription = store.subscribe(head, poll_interval=30.0)
    async with contextlib.aclosing(subscription):
        waiter = asyncio.create_task(_first_event_of(subscription, s))
        await asyncio.sleep(0.2)  # the subscriber is listening and idle
        started = time.perf_counter()
        appended = await store.append(s, NO_STREAM, [event()])
        received = await asyncio.wait_for(waiter, 5.0)
        latency = time.perf_counter() - started
    assert received.event_id == appended.events[0].event_id
    assert latency < 1.0, f"took {latency:.3f}s: the notification did not wake the subscriber"


async def test_lost_notifications_are_covered_by_the_poll(pool: asyncpg.Pool) -> None:
    writer = PostgresEventStore(pool)
    deaf = PostgresEventStore(pool, notify_channel="nobody_notifies_this_channel")
    head = await writer.head_position()
    s = stream()
    subscription = deaf.subscribe(head, poll_interval=0.1)
    async with contextlib.aclosing(subscription):
        waiter = asyncio.create_task(_first_event_of(subscription, s))
        await asyncio.sleep(0.15)
        appended = await writer.append(s, NO_STREAM, [event()])
        received = await asyncio.wait_for(waiter, 5.0)
    assert received.event_id == appended.events[0].event_id


async def test_each_store_notifies_its_own_channel(pool: asyncpg.Pool) -> None:
    # Two stores on two channels, both subscribers on a poll far longer than the test:
    # only a notification on a store's own channel can wake its subscriber in time.
    east = PostgresEventStore(pool, notify_channel="acip_events_east")
    west = PostgresEventStore(pool, notify_channel="acip_events_west")
    head = await east.head_position()
    east_stream, west_stream = stream(), stream()
    east_subscription = east.subscribe(head, poll_interval=30.0)
    west_subscription = west.subscribe(head, poll_interval=30.0)
    async with (
        contextlib.aclosing(east_subscription),
        contextlib.aclosing(west_subscription),
    ):
        east_waiter = asyncio.create_task(_first_event_of(east_subscription, east_stream))
        west_waiter = asyncio.create_task(_first_event_of(west_subscription, west_stream))
        try:
            await asyncio.sleep(0.2)  # both subscribers are listening and idle
            east_appended = await east.append(east_stream, NO_STREAM, [event()])
            west_appended = await west.append(west_stream, NO_STREAM, [event()])
            east_received, west_received = await asyncio.wait_for(
                asyncio.gather(east_waiter, west_waiter), 5.0
            )
        finally:
            # A waiter still iterating its subscription would keep aclosing() waiting.
            for waiter in (east_waiter, west_waiter):
                waiter.cancel()
            await asyncio.gather(east_waiter, west_waiter, return_exceptions=True)
    assert east_received.event_id == east_appended.events[0].event_id
    assert west_received.event_id == west_appended.events[0].event_id


async def test_a_store_does_not_notify_another_channel(pool: asyncpg.Pool) -> None:
    own = PostgresEventStore(pool, notify_channel="acip_events_own")
    listener = await pool.acquire()
    heard: list[str] = []
    try:
        await listener.add_listener("acip_events", lambda *args: heard.append(args[2]))
        await listener.add_listener("acip_events_own", lambda *args: heard.append(args[2]))
        await own.append(stream(), NO_STREAM, [event()])
        await own.wait_for_notifications()
        await asyncio.sleep(0.2)  # notifications arrive asynchronously on the listener
    finally:
        await listener.reset()
        await pool.release(listener)
    assert heard == ["acip_events_own"]


async def test_cancelling_a_subscriber_returns_its_connection(pool: asyncpg.Pool) -> None:
    store = PostgresEventStore(pool)
    idle_before = pool.get_idle_size() + (pool.get_max_size() - pool.get_size())

    async def consume() -> None:
        async for _batch in store.subscribe(await store.head_position(), poll_interval=0.05):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.2)
    assert pool.get_idle_size() + (pool.get_max_size() - pool.get_size()) < idle_before
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert pool.get_idle_size() + (pool.get_max_size() - pool.get_size()) == idle_before


async def test_read_all_waits_briefly_for_an_older_transaction(
    private_pool: asyncpg.Pool, fresh_database_url: str
) -> None:
    store = PostgresEventStore(private_pool)
    head = await store.head_position()
    other = await asyncpg.connect(fresh_database_url)
    try:
        # Some unrelated write transaction (it holds a transaction id) is still open ...
        transaction = other.transaction()
        await transaction.start()
        await other.execute("CREATE TEMP TABLE scratch (x int); INSERT INTO scratch VALUES (1)")
        appended = await store.append(stream(), NO_STREAM, [event()])
        # ... so the new event is held back; with no wait the reader gets nothing yet.
        assert await store.read_all(head, max_wait=0) == []

        async def finish_soon() -> None:
            await asyncio.sleep(0.05)
            await transaction.commit()

        finisher = asyncio.create_task(finish_soon())
        # The default wait covers a transaction that ends within moments.
        read = await store.read_all(head)
        await finisher
        assert [e.event_id for e in read] == [appended.events[0].event_id]
        assert await store.head_position() == appended.events[0].global_position
    finally:
        await other.close()
