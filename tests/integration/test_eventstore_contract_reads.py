"""The event-store contract, read side, for both implementations (PostgresEventStore and
InMemoryEventStore): reading streams, the log and its ranges, the hash chain, upcasting on
read. Writing is tests/integration/test_eventstore_contract.py.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from eventstore import (
    GENESIS_HASH,
    NO_STREAM,
    EventStore,
    NewEvent,
    UpcasterRegistry,
    compute_hash,
    protocol,  # ROW_*: where each field stands in a read_rows row
)
from tests.integration.conftest import either_store
from tests.integration.store_contract import StoreFactory, event, stream

store = either_store  # every test runs on both implementations


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
            row[protocol.ROW_POSITION],
            row[protocol.ROW_STREAM_ID],
            row[protocol.ROW_VERSION],
            row[protocol.ROW_TYPE],
            row[protocol.ROW_SCHEMA_VERSION],
            json.loads(row[protocol.ROW_DATA_JSON]),
            row[protocol.ROW_OCCURRED_AT],
            row[protocol.ROW_RECORDED_AT],
            row[protocol.ROW_EVENT_ID],
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
    rest = await store.read_rows(page[-1][protocol.ROW_POSITION], new_head, 10)
    assert [row[protocol.ROW_EVENT_ID] for row in [*page, *rest]] == [
        e.event_id for e in everything
    ]
    cut = await store.read_rows(head, everything[1].global_position, 10)
    assert [row[protocol.ROW_EVENT_ID] for row in cut] == [e.event_id for e in everything[:2]]
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
