"""Fault 2: `append_events` delivered more than once (an activity retried after a timeout that
hid a commit, two workers running the same attempt, a late duplicate after the stream moved
on). The activity function itself is called, in an activity context, as Temporal would."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.append import AppendActivities
from contracts.temporal import AppendEventsInput, AppendEventsResult, PendingEvent
from eventstore import PostgresEventStore
from tests.reliability.harness import assert_streams_intact

CONCURRENT_DELIVERIES = 8


def pending(kind: str, n: int, **data: object) -> PendingEvent:
    return PendingEvent(
        event_id=uuid.uuid4(),
        type=kind,
        schema_version=1,
        data={"n": n, **data},
        metadata={"actor": "system", "role": "system", "workflow_id": "plan-DUP-2026"},
        occurred_at=datetime(2026, 3, 1, 12, n, tzinfo=UTC),
    )


def batch(stream_id: str, expected: int, size: int) -> AppendEventsInput:
    return AppendEventsInput(
        stream_id=stream_id,
        expected_version=expected,
        events=[pending("reminder_sent", expected + i + 1) for i in range(size)],
    )


async def deliver(store: PostgresEventStore, input: AppendEventsInput) -> AppendEventsResult:
    """One delivery of the activity task, by a worker with its own store (its own cache)."""
    result: AppendEventsResult = await ActivityEnvironment().run(
        AppendActivities(store).append_events, input
    )
    return result


async def stored(pool: asyncpg.Pool, stream_id: str) -> list[tuple[int, uuid.UUID]]:
    rows = await pool.fetch(
        "SELECT version, event_id FROM events WHERE stream_id = $1 ORDER BY version", stream_id
    )
    return [(row["version"], row["event_id"]) for row in rows]


async def test_a_delivery_repeated_after_its_commit_returns_the_first_result(
    pool: asyncpg.Pool,
) -> None:
    stream = f"plan-DUP{uuid.uuid4().hex[:4].upper()}-2026"
    first_input = batch(stream, 0, 3)
    store = PostgresEventStore(pool)
    first = await deliver(store, first_input)
    # The same worker again (warm cache), another worker (cold cache), then a late duplicate
    # that arrives after the stream has moved on.
    again = await deliver(store, first_input)
    elsewhere = await deliver(PostgresEventStore(pool), first_input)
    second = await deliver(store, batch(stream, 3, 2))
    late = await deliver(PostgresEventStore(pool), first_input)

    assert first == again == elsewhere == late
    assert first.version == 3 and second.version == 5
    ids = [event.event_id for event in first_input.events]
    assert [event.event_id for event in first.events] == ids
    assert [v for v, _ in await stored(pool, stream)] == [1, 2, 3, 4, 5]
    await assert_streams_intact(store)


async def test_concurrent_deliveries_of_one_append_store_it_once(pool: asyncpg.Pool) -> None:
    stream = f"plan-DUC{uuid.uuid4().hex[:4].upper()}-2026"
    for expected, size in ((0, 1), (1, 4), (5, 1)):
        input = batch(stream, expected, size)
        results = await asyncio.gather(
            *(deliver(PostgresEventStore(pool), input) for _ in range(CONCURRENT_DELIVERIES))
        )
        assert all(result == results[0] for result in results)
        assert results[0].version == expected + size
    versions = await stored(pool, stream)
    assert [v for v, _ in versions] == [1, 2, 3, 4, 5, 6]
    assert len({event_id for _, event_id in versions}) == 6
    await assert_streams_intact(PostgresEventStore(pool))


async def test_same_event_ids_with_other_content_are_refused_not_retried(
    pool: asyncpg.Pool,
) -> None:
    stream = f"plan-DUX{uuid.uuid4().hex[:4].upper()}-2026"
    original = batch(stream, 0, 2)
    await deliver(PostgresEventStore(pool), original)
    tampered = original.model_copy(
        update={
            "events": [
                original.events[0].model_copy(update={"data": {"n": 99}}),
                *original.events[1:],
            ]
        }
    )
    with pytest.raises(ApplicationError) as refused:
        await deliver(PostgresEventStore(pool), tampered)
    assert refused.value.type == "DuplicateEventError" and refused.value.non_retryable
    # Half a batch stored already: refused too, never completed silently.
    part = original.model_copy(update={"events": [original.events[0], pending("x", 9)]})
    with pytest.raises(ApplicationError) as partial:
        await deliver(PostgresEventStore(pool), part)
    assert partial.value.type == "DuplicateEventError"
    assert [v for v, _ in await stored(pool, stream)] == [1, 2]
