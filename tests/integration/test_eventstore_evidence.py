"""What PostgreSQL's store proves about its contents: tampering with the rows (a changed,
deleted, renumbered or swapped event) is found by verification, an export verifies offline,
and any JSON payload comes back as stored."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from eventstore import NO_STREAM, NewEvent, PostgresEventStore, RecordedEvent, verify_events
from eventstore.hashing import canonical_json
from tests.integration.store_contract import event, stream

# -- tamper evidence --------------------------------------------------------------------


async def _tamper(pool: asyncpg.Pool, *statements: tuple[str, tuple[Any, ...]]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("ALTER TABLE events DISABLE TRIGGER events_refuse_update_delete")
        for sql, args in statements:
            await conn.execute(sql, *args)
        await conn.execute("ALTER TABLE events ENABLE TRIGGER events_refuse_update_delete")


async def _five(store: PostgresEventStore) -> list[RecordedEvent]:
    s = stream()
    result = await store.append(s, NO_STREAM, [event(n=n) for n in range(1, 6)])
    return result.events


async def test_changed_payload_is_a_hash_mismatch(private_pool: asyncpg.Pool) -> None:
    store = PostgresEventStore(private_pool)
    untouched = await _five(store)
    events = await _five(store)
    target = events[2]
    await _tamper(
        private_pool,
        ("UPDATE events SET data = '{\"n\": 99}' WHERE event_id = $1", (target.event_id,)),
    )
    report = await store.verify()
    assert not report.ok
    assert (report.streams_checked, report.events_checked) == (2, 10)
    (brk,) = report.breaks
    assert (brk.stream_id, brk.version, brk.reason) == (target.stream_id, 3, "hash_mismatch")
    assert brk.global_position == target.global_position
    assert brk.event_id == target.event_id
    assert (await store.verify(untouched[0].stream_id)).ok


async def test_deleted_row_is_a_version_gap(private_pool: asyncpg.Pool) -> None:
    store = PostgresEventStore(private_pool)
    events = await _five(store)
    await _tamper(private_pool, ("DELETE FROM events WHERE event_id = $1", (events[1].event_id,)))
    report = await store.verify(events[0].stream_id)
    assert [(b.version, b.reason) for b in report.breaks] == [(3, "version_gap")]
    assert report.breaks[0].global_position == events[2].global_position


async def test_deleted_and_renumbered_rows_are_a_broken_link(private_pool: asyncpg.Pool) -> None:
    store = PostgresEventStore(private_pool)
    events = await _five(store)
    s = events[0].stream_id
    # A careful forger closes the version gap: the chain still gives it away.
    await _tamper(
        private_pool,
        ("DELETE FROM events WHERE event_id = $1", (events[1].event_id,)),
        ("UPDATE events SET version = version - 1 WHERE stream_id = $1 AND version > 2", (s,)),
    )
    report = await store.verify(s)
    assert report.breaks[0].version == 2
    assert report.breaks[0].reason == "broken_link"
    assert report.breaks[0].event_id == events[2].event_id


async def test_swapped_payloads_are_hash_mismatches(private_pool: asyncpg.Pool) -> None:
    store = PostgresEventStore(private_pool)
    events = await _five(store)
    a, b = events[1], events[3]
    await _tamper(
        private_pool,
        ("UPDATE events SET data = '{\"n\": 4}' WHERE event_id = $1", (a.event_id,)),
        ("UPDATE events SET data = '{\"n\": 2}' WHERE event_id = $1", (b.event_id,)),
    )
    report = await store.verify(a.stream_id)
    assert [(x.version, x.reason) for x in report.breaks] == [
        (2, "hash_mismatch"),
        (4, "hash_mismatch"),
    ]


async def test_an_export_verifies_offline(store: PostgresEventStore) -> None:
    events = await _five(store)
    exported = await store.read_stream_raw(events[0].stream_id)
    # What an auditor receives: plain JSON types only.
    as_json: list[dict[str, Any]] = [
        {**row, "event_id": str(row["event_id"]), "occurred_at": row["occurred_at"].isoformat()}
        for row in exported
    ]
    random.shuffle(as_json)
    assert verify_events(as_json).ok
    as_json[0] = {**as_json[0], "metadata": {"actor": "someone else"}}
    assert not verify_events(as_json).ok


# -- payload fidelity -------------------------------------------------------------------


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    choice = rng.randrange(9 if depth < 3 else 6)
    if choice == 0:
        return None
    if choice == 1:
        return rng.random() < 0.5
    if choice == 2:
        return rng.randrange(-(2**53) + 1, 2**53)
    if choice == 3:
        return rng.choice([0.1, -2.5, 1e-7, 1.5e-300, 123456.789, 1e15 + 0.5, 3.0, -0.0])
    if choice in (4, 5):
        alphabet = 'aé€😀\n"\\\t/\u2028\ue000\x7f'
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(6)))
    if choice in (6, 7):
        return {
            "".join(rng.choice("ab€😀\ue000") for _ in range(rng.randrange(4))): _random_json(
                rng, depth + 1
            )
            for _ in range(rng.randrange(4))
        }
    return [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]


async def test_any_json_payload_survives_storage_and_verifies(store: PostgresEventStore) -> None:
    rng = random.Random(20250131)
    s = stream()
    batch = [
        NewEvent(
            event_id=uuid.uuid4(),
            type="payload_probe",
            data={"value": _random_json(rng), "k": _random_json(rng)},
            metadata={"m": _random_json(rng)},
            occurred_at=datetime.now(UTC),
        )
        for _ in range(200)
    ]
    await store.append(s, NO_STREAM, batch)
    stored = await store.read_stream(s)
    for sent, got in zip(batch, stored, strict=True):
        # Same JSON value (PostgreSQL may write 3.0 as 3: the canonical form is equal).
        assert canonical_json(got.data) == canonical_json(sent.data)
        assert canonical_json(got.metadata) == canonical_json(sent.metadata)
    assert (await store.verify(s)).ok
