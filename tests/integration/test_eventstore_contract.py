"""One contract (eventstore.EventStore), two implementations: PostgresEventStore and
InMemoryEventStore. Every behaviour here must hold for both, so code tested against the
in-memory store behaves the same against PostgreSQL.

Writing: optimistic concurrency, idempotent retries, refused input, subscriptions. Reading,
the hash chain and upcasting are tests/integration/test_eventstore_contract_reads.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from eventstore import (
    ANY,
    NO_STREAM,
    AppendResult,
    ConcurrencyError,
    DuplicateEventError,
    EventStore,
    InvalidEventError,
    NewEvent,
    RecordedEvent,
)
from tests.integration.conftest import either_store
from tests.integration.store_contract import event, stream

store = either_store  # every test runs on both implementations


# -- optimistic concurrency -------------------------------------------------------------


@pytest.mark.parametrize("first_expected", [NO_STREAM, 0, ANY])
async def test_new_stream_starts_at_version_one(store: EventStore, first_expected: Any) -> None:
    s = stream()
    result = await store.append(s, first_expected, [event(), event(), event()])
    assert result.stream_id == s
    assert result.version == 3
    assert [e.version for e in result.events] == [1, 2, 3]
    assert await store.stream_version(s) == 3


async def test_versions_are_contiguous_across_appends(store: EventStore) -> None:
    s = stream()
    await store.append(s, NO_STREAM, [event()])
    await store.append(s, 1, [event(), event()])
    await store.append(s, ANY, [event()])
    await store.append(s, 4, [event()])
    assert [e.version for e in await store.read_stream(s)] == [1, 2, 3, 4, 5]


async def test_stream_heads_are_each_streams_last_event_as_of_an_instant(
    store: EventStore,
) -> None:
    first, second, empty = stream(), stream(), stream()
    early = await store.append(first, NO_STREAM, [event(), event()])
    await store.append(second, NO_STREAM, [event()])
    between = (await store.read_stream(second))[-1].recorded_at
    await store.append(first, ANY, [event()])
    now = (await store.read_stream(first))[-1].recorded_at
    heads = await store.stream_heads([second, first, empty], now)
    read = {s: (await store.read_stream(s))[-1] for s in (first, second)}
    assert [(h.stream_id, h.version, h.hash, h.global_position) for h in heads] == sorted(
        (s, e.version, e.hash, e.global_position) for s, e in read.items()
    )
    # As of an earlier instant, the first stream's head is its version 2.
    before = {h.stream_id: h.version for h in await store.stream_heads([first], between)}
    assert before == {first: 2} and early.version == 2


@pytest.mark.parametrize(
    ("expected", "shown"),
    [(0, "0"), (NO_STREAM, "no_stream"), (1, "1"), (3, "3"), (7, "7")],
)
async def test_wrong_expected_version_names_expected_and_actual(
    store: EventStore, expected: Any, shown: str
) -> None:
    s = stream()
    await store.append(s, NO_STREAM, [event(), event()])
    with pytest.raises(ConcurrencyError) as caught:
        await store.append(s, expected, [event()])
    assert caught.value.stream_id == s
    assert caught.value.expected == expected
    assert caught.value.actual == 2
    assert f"expected version {shown}, actual version 2" in str(caught.value)
    assert await store.stream_version(s) == 2


async def test_expected_version_on_missing_stream(store: EventStore) -> None:
    with pytest.raises(ConcurrencyError) as caught:
        await store.append(stream(), 4, [event()])
    assert caught.value.actual == 0


async def test_ten_concurrent_writers_one_wins(store: EventStore) -> None:
    s = stream()
    await store.append(s, NO_STREAM, [event()])
    batches = [[event(writer=n), event(writer=n)] for n in range(10)]
    outcomes = await asyncio.gather(
        *(store.append(s, 1, batch) for batch in batches), return_exceptions=True
    )
    winners = [o for o in outcomes if isinstance(o, AppendResult)]
    losers = [o for o in outcomes if isinstance(o, ConcurrencyError)]
    assert len(winners) == 1
    assert len(losers) == 9
    assert all(loser.expected == 1 and loser.actual == 3 for loser in losers)
    stored = await store.read_stream(s)
    assert [e.version for e in stored] == [1, 2, 3]
    assert [e.event_id for e in stored[1:]] == [e.event_id for e in winners[0].events]
    assert (await store.verify(s)).ok


async def test_concurrent_any_appends_all_land_contiguously(store: EventStore) -> None:
    s = stream()
    await asyncio.gather(*(store.append(s, ANY, [event(n=n)]) for n in range(8)))
    stored = await store.read_stream(s)
    assert [e.version for e in stored] == list(range(1, 9))
    assert sorted(e.data["n"] for e in stored) == list(range(8))
    assert (await store.verify(s)).ok


# -- idempotency ---------------------------------------------------------------------


@pytest.mark.parametrize("expected", [NO_STREAM, ANY])
async def test_retry_returns_first_result_and_writes_nothing(
    store: EventStore, expected: Any
) -> None:
    s = stream()
    batch = [event(), event()]
    first = await store.append(s, expected, batch)
    head = await store.head_position()
    again = await store.append(s, expected, batch)
    assert again == first
    assert await store.stream_version(s) == 2
    assert await store.head_position() == head


async def test_retry_after_stream_moved_on_still_returns_first_result(store: EventStore) -> None:
    s = stream()
    await store.append(s, NO_STREAM, [event()])
    batch = [event()]
    first = await store.append(s, 1, batch)
    await store.append(s, 2, [event()])
    again = await store.append(s, 1, batch)
    assert again.version == first.version == 2
    assert [e.event_id for e in again.events] == [e.event_id for e in first.events]
    assert await store.stream_version(s) == 3


async def test_same_id_different_content_is_refused(store: EventStore) -> None:
    s = stream()
    original = event(task="t-1")
    await store.append(s, NO_STREAM, [original])
    changed = original.model_copy(update={"data": {"task": "t-2"}})
    with pytest.raises(DuplicateEventError) as caught:
        await store.append(s, NO_STREAM, [changed])
    assert caught.value.event_id == original.event_id
    later = original.model_copy(update={"occurred_at": original.occurred_at + timedelta(1)})
    with pytest.raises(DuplicateEventError):
        await store.append(s, ANY, [later])
    assert [e.data for e in await store.read_stream(s)] == [{"task": "t-1"}]


async def test_same_id_in_another_stream_is_refused(store: EventStore) -> None:
    original = event()
    await store.append(stream(), NO_STREAM, [original])
    with pytest.raises(DuplicateEventError, match="stored in stream"):
        await store.append(stream(), NO_STREAM, [original])


async def test_batch_partly_stored_is_refused(store: EventStore) -> None:
    s = stream()
    first = event()
    await store.append(s, NO_STREAM, [first])
    with pytest.raises(DuplicateEventError, match="part of this batch"):
        await store.append(s, ANY, [first, event()])
    assert await store.stream_version(s) == 1


# -- refused input ----------------------------------------------------------------------


def _with(**changes: Any) -> NewEvent:
    return event().model_copy(update=changes)


BAD_BATCHES: dict[str, Callable[[], list[NewEvent]]] = {
    "empty batch": lambda: [],
    "oversized payload": lambda: [_with(data={"blob": "x" * (256 * 1024)})],
    "not JSON (set)": lambda: [_with(data={"tags": {"a", "b"}})],
    "not JSON (datetime)": lambda: [_with(data={"at": datetime.now(UTC)})],
    "not JSON (NaN)": lambda: [_with(data={"x": float("nan")})],
    "integer beyond 2**53": lambda: [_with(data={"x": 2**60})],
    "float beyond 2**53": lambda: [_with(data={"x": 1e17})],
    "non-string key": lambda: [_with(data={"nested": {1: "one"}})],
    "NUL in a string": lambda: [_with(metadata={"actor": "a\x00b"})],
    "lone surrogate": lambda: [_with(data={"x": "\ud800"})],
    "naive occurred_at": lambda: [_with(occurred_at=datetime(2025, 1, 1))],
    "bad type": lambda: [_with(type="Task Assigned!")],
    "duplicate id in batch": lambda: [(e := event()), e],
}


@pytest.mark.parametrize("case", sorted(BAD_BATCHES))
async def test_bad_input_is_refused_before_anything_is_written(
    store: EventStore, case: str
) -> None:
    s = stream()
    head = await store.head_position()
    batch = [event(), *BAD_BATCHES[case]()] if case != "empty batch" else []
    with pytest.raises(InvalidEventError):
        await store.append(s, NO_STREAM, batch)
    assert await store.stream_version(s) == 0
    assert await store.head_position() == head


@pytest.mark.parametrize(
    "stream_id",
    ["Plan-1", "plan", "plan-", "-1", "plan-1 2", "plan-" + "x" * 200, "plan/1", "plän-1", ""],
)
async def test_bad_stream_id_is_refused(store: EventStore, stream_id: str) -> None:
    with pytest.raises(InvalidEventError):
        await store.append(stream_id, NO_STREAM, [event()])


@pytest.mark.parametrize("expected", [-1, True, "latest", 1.5])
async def test_bad_expected_version_is_refused(store: EventStore, expected: Any) -> None:
    with pytest.raises(InvalidEventError):
        await store.append(stream(), expected, [event()])


def test_naive_datetime_is_refused_by_the_model() -> None:
    with pytest.raises(ValueError, match="timezone"):
        NewEvent(event_id=uuid.uuid4(), type="x", data={}, occurred_at=datetime(2025, 1, 1))


# -- subscriptions ----------------------------------------------------------------------


async def test_subscription_catches_up_then_follows(store: EventStore) -> None:
    head = await store.head_position()
    s = stream()
    first = await store.append(s, NO_STREAM, [event(), event(), event()])
    received: list[RecordedEvent] = []
    subscription = store.subscribe(head, batch_size=2, poll_interval=0.2)
    async with contextlib.aclosing(subscription):
        async for batch in subscription:
            assert len(batch) <= 2
            received.extend(e for e in batch if e.stream_id == s)
            if len(received) == 3:
                break
        later = await store.append(s, 3, [event()])
        async for batch in subscription:
            received.extend(e for e in batch if e.stream_id == s)
            if len(received) == 4:
                break
    ids = [e.event_id for e in received]
    assert ids == [e.event_id for e in first.events + later.events]
