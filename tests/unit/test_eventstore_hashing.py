"""The pure half of the event store: canonical JSON, the hash, offline verification."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstore import GENESIS_HASH, InvalidEventError, NewEvent, compute_hash, verify_events
from eventstore._prepare import prepare_append
from eventstore.hashing import canonical_datetime, canonical_json, envelope_prefix
from tests.support.hypothesis_profiles import examples

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=12,
)


def _reference(value: Any) -> str | type[Exception]:
    try:
        text = rfc8785.dumps(value).decode()
    except (ValueError, TypeError) as error:
        return type(error)
    return text


def _has_big_float(value: Any) -> bool:
    if isinstance(value, float):
        return abs(value) >= 2.0**53
    if isinstance(value, dict):
        return any(_has_big_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_big_float(v) for v in value)
    return False


@settings(max_examples=examples(600), deadline=None)
@given(json_values)
def test_fast_canonical_json_equals_the_reference(value: Any) -> None:
    expected = _reference(value)
    if isinstance(expected, str) and not _has_big_float(value):
        assert canonical_json(value) == expected
    else:
        with pytest.raises(ValueError):
            canonical_json(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"b": 1, "a": [True, None, "x"]}, '{"a":[true,null,"x"],"b":1}'),
        ({"x": 1.0}, '{"x":1}'),
        ({"x": 1e-7}, '{"x":1e-7}'),
        ({"x": 0.00001}, '{"x":0.00001}'),
        ({"x": -0.0}, '{"x":0}'),
        ({"x": 123.456}, '{"x":123.456}'),
        ({"s": 'a"\\\n\t\x01é€😀'}, '{"s":"a\\"\\\\\\n\\t\\u0001é€😀"}'),
        # UTF-16 order: U+1F600 (surrogates D83D...) sorts before U+E000.
        ({"\ue000": 1, "😀": 2}, '{"😀":2,"\ue000":1}'),
        ({"x": 2**53 - 1}, '{"x":9007199254740991}'),
    ],
)
def test_canonical_json_examples(value: Any, text: str) -> None:
    assert canonical_json(value) == text


@pytest.mark.parametrize(
    "value", [{"x": 2**53}, {1: "a"}, {"x": float("inf")}, {"x": {1, 2}}, {"x": 1e16}]
)
def test_canonical_json_refuses_inexact_values(value: Any) -> None:
    with pytest.raises(ValueError):
        canonical_json(value)


def test_canonical_datetime() -> None:
    plus_three = timezone(timedelta(hours=3))
    assert (
        canonical_datetime(datetime(2025, 1, 31, 11, 0, tzinfo=plus_three))
        == "2025-01-31T08:00:00.000000Z"
    )
    assert canonical_datetime("2025-01-31T08:00:00.5+00:00") == "2025-01-31T08:00:00.500000Z"
    assert canonical_datetime(datetime(999, 1, 1, tzinfo=UTC)) == "0999-01-01T00:00:00.000000Z"
    with pytest.raises(ValueError):
        canonical_datetime(datetime(2025, 1, 1))


# The worked example of docs/eventstore.md: an auditor can check their own tool on it.
EXAMPLE: dict[str, Any] = {
    "event_id": "6f1c2b1e-8d5a-4c1e-9a7b-2f4e5d6c7b8a",
    "stream_id": "plan-ke-2025-0042",
    "version": 1,
    "type": "plan_opened",
    "schema_version": 1,
    "data": {"title": "Integrity plan", "period": "2025"},
    "metadata": {"actor": "u-17", "role": "coordinator"},
    "occurred_at": "2025-01-31T08:00:00.000000Z",
}
EXAMPLE_BODY = (
    '{"data":{"period":"2025","title":"Integrity plan"},'
    '"event_id":"6f1c2b1e-8d5a-4c1e-9a7b-2f4e5d6c7b8a",'
    '"metadata":{"actor":"u-17","role":"coordinator"},'
    '"occurred_at":"2025-01-31T08:00:00.000000Z","schema_version":1,'
    '"stream_id":"plan-ke-2025-0042","type":"plan_opened","version":1}'
)
EXAMPLE_HASH = "534288f11bc153784f5571699c2bbf1e8fb68671326feba0ecd8a4172b4d7053"


def test_worked_example_of_the_documentation() -> None:
    assert rfc8785.dumps(EXAMPLE).decode() == EXAMPLE_BODY
    digest = hashlib.sha256((GENESIS_HASH + EXAMPLE_BODY).encode()).hexdigest()
    assert digest == EXAMPLE_HASH
    assert compute_hash(GENESIS_HASH, EXAMPLE) == EXAMPLE_HASH


def _has_nul(value: Any) -> bool:
    # A real NUL character (PostgreSQL's jsonb cannot keep it); a backslash followed by
    # "u0000" is ordinary text, so the canonical text's escapes cannot tell them apart.
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


@settings(max_examples=examples(200), deadline=None)
@given(
    data=st.dictionaries(st.text(max_size=5), json_values, max_size=4),
    metadata=st.dictionaries(st.text(max_size=5), json_values, max_size=3),
    schema_version=st.integers(min_value=1, max_value=9),
    version=st.integers(min_value=1, max_value=10**9),
)
def test_store_prefix_equals_the_generic_envelope(
    data: dict[str, Any], metadata: dict[str, Any], schema_version: int, version: int
) -> None:
    event = NewEvent.model_construct(
        event_id=uuid.uuid4(),
        type="task_assigned",
        data=data,
        metadata=metadata,
        occurred_at=datetime.now(UTC),
        schema_version=schema_version,
    )
    try:
        canonical_json(data), canonical_json(metadata)
        encodable = not _has_nul(data) and not _has_nul(metadata)
    except ValueError:
        encodable = False
    if not encodable:
        with pytest.raises(InvalidEventError):
            prepare_append("plan-x.1:2", "any", [event])
        return
    prepared = prepare_append("plan-x.1:2", "any", [event])
    fields = {
        **event.model_dump(),
        "stream_id": "plan-x.1:2",
        "version": version,
    }
    assert prepared.prefixes[0] == envelope_prefix(
        event_id=event.event_id,
        stream_id="plan-x.1:2",
        type=event.type,
        schema_version=schema_version,
        data=data,
        metadata=metadata,
        occurred_at=event.occurred_at,
    )
    prevs, hashes = prepared.chain(version, GENESIS_HASH)
    assert hashes[0] == compute_hash(prevs[0], fields)


# -- offline verification ---------------------------------------------------------------


def _chain(stream_id: str, count: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    prev = GENESIS_HASH
    for version in range(1, count + 1):
        row = {
            "event_id": str(uuid.uuid4()),
            "stream_id": stream_id,
            "version": version,
            "global_position": version * 10,
            "type": "task_assigned",
            "schema_version": 1,
            "data": {"n": version},
            "metadata": {},
            "occurred_at": "2025-02-01T10:00:00+00:00",
        }
        row["prev_hash"] = prev
        row["hash"] = prev = compute_hash(prev, row)
        rows.append(row)
    return rows


def test_intact_export_in_any_order_verifies() -> None:
    rows = _chain("plan-a", 4) + _chain("plan-b", 3)
    report = verify_events(list(reversed(rows)))
    assert report.ok
    assert (report.streams_checked, report.events_checked) == (2, 7)


def test_each_kind_of_break_is_reported_with_its_place() -> None:
    changed = _chain("plan-a", 4)
    changed[1] = {**changed[1], "data": {"n": 20}}
    relinked = _chain("plan-b", 3)
    relinked[2] = {**relinked[2], "prev_hash": "e" * 64}
    gap = _chain("plan-c", 4)
    del gap[1]
    report = verify_events(changed + relinked + gap)
    assert not report.ok
    assert [(b.stream_id, b.version, b.global_position, b.reason) for b in report.breaks] == [
        ("plan-a", 2, 20, "hash_mismatch"),
        ("plan-b", 3, 30, "broken_link"),
        ("plan-c", 3, 30, "version_gap"),
    ]
    assert "expected version 2, found 3" in report.breaks[2].detail


def test_a_stream_not_starting_at_genesis_is_a_broken_link() -> None:
    rows = _chain("plan-a", 2)
    rows[0] = {**rows[0], "prev_hash": "1" * 64}
    (brk,) = verify_events(rows).breaks
    assert (brk.version, brk.reason) == (1, "broken_link")
