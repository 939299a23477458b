"""The in-memory store's own checks (the shared contract lives in tests/integration)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from eventstore import NO_STREAM, InMemoryEventStore, NewEvent


def _event(n: int) -> NewEvent:
    return NewEvent(
        event_id=uuid.uuid4(), type="task_assigned", data={"n": n}, occurred_at=datetime.now(UTC)
    )


async def test_verify_notices_a_changed_event() -> None:
    store = InMemoryEventStore()
    await store.append("plan-1", NO_STREAM, [_event(1), _event(2), _event(3)])
    assert (await store.verify()).ok
    store._replace_raw("plan-1", 2, data={"n": 20})
    report = await store.verify()
    assert [(b.version, b.reason) for b in report.breaks] == [(2, "hash_mismatch")]
    assert report.breaks[0].global_position == 2


async def test_stored_payload_is_normalised_like_postgres() -> None:
    store = InMemoryEventStore()
    sent = NewEvent(
        event_id=uuid.uuid4(),
        type="measured",
        data={"ratio": 1.0, "nested": {"b": 2, "a": [1.5]}},
        occurred_at=datetime.now(UTC),
    )
    result = await store.append("plan-2", NO_STREAM, [sent])
    (stored,) = await store.read_stream("plan-2")
    assert type(stored.data["ratio"]) is int  # JSON has one number type; 1.0 is stored as 1
    assert result.events[0].data is sent.data  # the caller gets its own payload back
    assert (await store.verify("plan-2")).ok
