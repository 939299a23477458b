"""One contract (eventstore.EventStore), two implementations: PostgresEventStore and
InMemoryEventStore.

Every behaviour here must hold for both, so code tested against the in-memory store
behaves the same against PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import asyncpg
import pytest

from eventstore import (
    ANY,
    GENESIS_HASH,
    NO_STREAM,
    AppendResult,
    ConcurrencyError,
    DuplicateEventError,
    EventStore,
    InMemoryEventStore,
    InvalidEventError,
    NewEvent,
    PostgresEventStore,
    RecordedEvent,
    UpcasterRegistry,
    compute_hash,
)
from eventstore.protocol import (
    ROW_DATA_JSON,
    ROW_EVENT_ID,
    ROW_OCCURRED_AT,
    ROW_POSITION,
    ROW_RECORDED_AT,
    ROW_SCHEMA_VERSION,
    ROW_STREAM_ID,
    ROW_TYPE,
    ROW_VERSION,
)

StoreFactory = Callable[..., EventStore]


@pytest.fixture(params=["postgres", "memory"])
def make_store(request: pytest.FixtureRequest) -> StoreFactory:
    """A factory, so a test can pass upcasters; each call builds a new store object
    (the PostgreSQL ones share the module's database)."""
    if request.param == "memory":
        shared = InMemoryEventStore()

        def memory(upcasters: UpcasterRegistry | None = None) -> EventStore:
            if upcasters is None:
                return shared
            # Same log, other upcasters: what a new process with new code would see.
            other = InMemoryEventStore(upcasters=upcasters)
            other.__dict__.update({k: v for k, v in shared.__dict__.items() if k != "_upcasters"})
            return other

        return memory
    pool: asyncpg.Pool = request.getfixturevalue("pool")

    def postgres(upcasters: UpcasterRegistry | None = None) -> EventStore:
        return PostgresEventStore(pool, upcasters=upcasters)

    return postgres


@pytest.fixture
def store(make_store: StoreFactory) -> EventStore:
    return make_store()


def stream() -> str:
    return f"plan-{uuid.uuid4().hex[:12]}"


def event(type: str = "task_assigned", **data: Any) -> NewEvent:
    return NewEvent(
        event_id=uuid.uuid4(),
        type=type,
        data=data or {"task": "t-1"},
        metadata={"actor": "u-1", "role": "focal_point", "correlation_id": "c-1"},
        occurred_at=datetime.now(UTC),
    )


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


# -- reading ---------------------------------------------------------------------------


async def test_read_stream_returns_what_was_appended(store: EventStore) -> None:
    s = stream()
    zone = timezone(timedelta(hours=3))
    appended = NewEvent(
        event_id=uuid.uuid4(),
        type="plan_opened",
        data={"title": "Plan 2025 \u2013 Douane", "budget": 12.5, "tags": ["a", "b"], "n": None},
        metadata={"actor": "u-7"},
        occurred_at=datetime(2025, 1, 31, 11, 0, 0, 123456, tzinfo=zone),
        schema_version=3,
    )
    result = await store.append(s, NO_STREAM, [appended])
    (read,) = await store.read_stream(s)
    assert read == result.events[0]
    assert read.data == appended.data
    assert read.metadata == appended.metadata
    assert read.occurred_at == datetime(2025, 1, 31, 8, 0, 0, 123456, tzinfo=UTC)
    assert read.occurred_at.utcoffset() == timedelta(0)
    assert read.schema_version == 3
    assert read.type == "plan_opened"
    assert read.recorded_at.tzinfo is not None


async def test_read_stream_ranges(store: EventStore) -> None:
    s = stream()
    await store.append(s, NO_STREAM, [event(n=n) for n in range(1, 6)])
    assert [e.version for e in await store.read_stream(s, from_version=3)] == [3, 4, 5]
    assert [e.version for e in await store.read_stream(s, to_version=2)] == [1, 2]
    assert [e.version for e in await store.read_stream(s, from_version=2, to_version=4)] == [
        2,
        3,
        4,
    ]
    assert await store.read_stream(stream()) == []
    assert await store.stream_version(stream()) == 0


async def test_read_stream_as_of_an_instant(store: EventStore) -> None:
    s = stream()
    first = await store.append(s, NO_STREAM, [event(step=1)])
    await asyncio.sleep(0.01)
    await store.append(s, 1, [event(step=2)])
    as_of = first.events[0].recorded_at
    assert [e.data for e in await store.read_stream(s, recorded_up_to=as_of)] == [{"step": 1}]
    before = as_of - timedelta(microseconds=1)
    assert await store.read_stream(s, recorded_up_to=before) == []


async def test_read_all_in_order_from_a_position(store: EventStore) -> None:
    head = await store.head_position()
    a, b = stream(), stream()
    r1 = await store.append(a, NO_STREAM, [event(), event()])
    r2 = await store.append(b, NO_STREAM, [event()])
    r3 = await store.append(a, 2, [event()])
    appended = [e.event_id for r in (r1, r2, r3) for e in r.events]
    everything = await store.read_all(head)
    assert [e.event_id for e in everything] == appended
    positions = [e.global_position for e in everything]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    assert positions[0] > head
    assert await store.head_position() == positions[-1]
    # Paging: limit and after_position compose.
    page = await store.read_all(head, limit=2)
    rest = await store.read_all(page[-1].global_position)
    assert [e.event_id for e in page + rest] == appended
    assert await store.read_all(positions[-1]) == []


async def test_count_events_and_read_rows_cover_a_range(store: EventStore) -> None:
    head = await store.head_position()
    a, b = stream(), stream()
    await store.append(a, NO_STREAM, [event(n=1), event(n=2)])
    await store.append(b, NO_STREAM, [event(n=3)])
    await store.append(a, 2, [event(n=4)])
    new_head = await store.head_position()
    everything = await store.read_all(head)
    assert await store.count_events(head, new_head) == 4
    assert await store.count_events(head) == 4
    assert await store.count_events(new_head) == 0
    assert await store.count_events(head, everything[1].global_position) == 2

    rows = await store.read_rows(head, new_head, 10)
    assert [
        (
            row[ROW_POSITION],
            row[ROW_STREAM_ID],
            row[ROW_VERSION],
            row[ROW_TYPE],
            row[ROW_SCHEMA_VERSION],
            json.loads(row[ROW_DATA_JSON]),
            row[ROW_OCCURRED_AT],
            row[ROW_RECORDED_AT],
            row[ROW_EVENT_ID],
        )
        for row in rows
    ] == [
        (
            e.global_position,
            e.stream_id,
            e.version,
            e.type,
            e.schema_version,
            e.data,
            e.occurred_at,
            e.recorded_at,
            e.event_id,
        )
        for e in everything
    ]
    # Pages compose, and the upper bound cuts.
    page = await store.read_rows(head, new_head, 3)
    rest = await store.read_rows(page[-1][ROW_POSITION], new_head, 10)
    assert [row[ROW_EVENT_ID] for row in [*page, *rest]] == [e.event_id for e in everything]
    cut = await store.read_rows(head, everything[1].global_position, 10)
    assert [row[ROW_EVENT_ID] for row in cut] == [e.event_id for e in everything[:2]]
    with pytest.raises(ValueError):
        await store.read_rows(head, new_head, 0)


async def test_read_leaves_are_the_merkle_fields_of_a_range(store: EventStore) -> None:
    head = await store.head_position()
    a, b = stream(), stream()
    await store.append(a, NO_STREAM, [event(n=1), event(n=2)])
    await store.append(b, NO_STREAM, [event(n=3)])
    new_head = await store.head_position()
    everything = await store.read_all(head)
    leaves = await store.read_leaves(head, new_head, 10)
    assert list(leaves) == [(e.stream_id, e.version, e.global_position, e.hash) for e in everything]
    page = await store.read_leaves(head, new_head, 2)
    rest = await store.read_leaves(page[-1][2], new_head, 10)
    assert [*page, *rest] == list(leaves)
    assert list(await store.read_leaves(head, everything[0].global_position, 10)) == leaves[:1]
    with pytest.raises(ValueError):
        await store.read_leaves(head, new_head, 0)


async def test_count_by_data_tallies_a_family_of_streams(store: EventStore) -> None:
    family = f"tally{uuid.uuid4().hex[:8]}-"
    one, two = f"{family}p1", f"{family}p2"
    await store.append(one, NO_STREAM, [event(rule="four_eyes"), event(rule="four_eyes")])
    await store.append(two, NO_STREAM, [event(rule="not_permitted"), event(other=1)])
    await store.append(stream(), NO_STREAM, [event(rule="four_eyes")])  # not of the family
    assert await store.count_by_data(family, "rule") == {
        (one, "four_eyes"): 2,
        (two, "not_permitted"): 1,
        (two, None): 1,
    }
    # A prefix is text, not a pattern: LIKE's wildcards match nothing more.
    assert await store.count_by_data(family[:-1] + "_", "rule") == {}


# -- the hash chain ---------------------------------------------------------------------


async def test_hash_chain_links_each_stream(store: EventStore) -> None:
    s = stream()
    await store.append(s, NO_STREAM, [event(), event()])
    await store.append(s, 2, [event()])
    stored = await store.read_stream(s)
    assert stored[0].prev_hash == GENESIS_HASH
    for previous, current in itertools.pairwise(stored):
        assert current.prev_hash == previous.hash
    for recorded in stored:
        assert compute_hash(recorded.prev_hash, recorded) == recorded.hash
    report = await store.verify(s)
    assert report.ok
    assert (report.streams_checked, report.events_checked) == (1, 3)


async def test_verify_everything(store: EventStore) -> None:
    await store.append(stream(), NO_STREAM, [event()])
    report = await store.verify()
    assert report.ok, report.breaks
    assert report.streams_checked >= 1
    assert report.events_checked >= report.streams_checked


# -- schema evolution -------------------------------------------------------------------


async def test_upcast_on_read_verify_on_raw(make_store: StoreFactory) -> None:
    s = stream()
    old = NewEvent(
        event_id=uuid.uuid4(),
        type="deadline_set",
        data={"due": "2025-03-31"},
        occurred_at=datetime.now(UTC),
        schema_version=1,
    )
    await make_store().append(s, NO_STREAM, [old])

    upcasters = UpcasterRegistry()

    @upcasters.register("deadline_set", 1)
    def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {"due_date": data["due"], "time_zone": "UTC"}

    @upcasters.register("deadline_set", 2)
    def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "reminder_days": 7}

    upcasting = make_store(upcasters=upcasters)
    (read,) = await upcasting.read_stream(s)
    assert read.schema_version == 3
    assert read.data == {"due_date": "2025-03-31", "time_zone": "UTC", "reminder_days": 7}
    (from_all,) = [e for e in await upcasting.read_all(0, 100_000) if e.stream_id == s]
    assert from_all.data == read.data
    # Stored bytes are untouched: the chain still verifies, and a plain store reads v1.
    assert (await upcasting.verify(s)).ok
    (raw,) = await make_store().read_stream(s)
    assert (raw.schema_version, raw.data) == (1, {"due": "2025-03-31"})


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
