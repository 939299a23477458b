"""Smoke-level guarantees of the PostgreSQL store (the contract suite goes deeper)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from eventstore import (
    NO_STREAM,
    ConcurrencyError,
    NewEvent,
    PostgresEventStore,
    RecordedEvent,
)


def _event(**data: object) -> NewEvent:
    return NewEvent(
        event_id=uuid.uuid4(), type="plan_opened", data=dict(data), occurred_at=datetime.now(UTC)
    )


def _stream() -> str:
    return f"plan-{uuid.uuid4().hex}"


async def test_append_then_read_stream_and_all(store: PostgresEventStore) -> None:
    stream = _stream()
    head = await store.head_position()
    result = await store.append(stream, NO_STREAM, [_event(n=1), _event(n=2)])
    assert result.version == 2
    assert [e.version for e in result.events] == [1, 2]

    read = await store.read_stream(stream)
    assert [e.data for e in read] == [{"n": 1}, {"n": 2}]
    assert read == result.events
    assert await store.stream_version(stream) == 2

    everything = await store.read_all(head)
    assert [e.event_id for e in everything] == [e.event_id for e in result.events]
    assert await store.head_position() == result.events[-1].global_position


async def test_wrong_expected_version_names_both(store: PostgresEventStore) -> None:
    stream = _stream()
    await store.append(stream, NO_STREAM, [_event()])
    with pytest.raises(ConcurrencyError, match="expected version 0, actual version 1"):
        await store.append(stream, 0, [_event()])


async def test_read_events_are_ordinary_pydantic_models(store: PostgresEventStore) -> None:
    # Reads build models without validation for speed; they must still behave like
    # validated ones (Temporal's pydantic converter serialises them).
    stream = _stream()
    await store.append(stream, NO_STREAM, [_event(n=1)])
    (read,) = await store.read_stream(stream)
    assert RecordedEvent.model_validate(read.model_dump()) == read
    assert RecordedEvent.model_validate_json(read.model_dump_json()) == read
    assert read.model_copy(update={"version": 9}).version == 9
    assert read.version == 1
    with pytest.raises(ValidationError):
        read.version = 2  # type: ignore[misc]  # frozen: refused at run time too
