"""Guards for the event store's two fast paths (docs/performance.md, "Fast paths").

Each leans on a library behaving exactly as it did when the path was measured and checked:

- ``eventstore.hashing.canonical_json`` trusts the C ``json`` encoder of CPython (sorted
  keys, no whitespace, shortest float repr) to produce RFC 8785 text for ordinary
  payloads, and falls back to the ``rfc8785`` package otherwise;
- ``eventstore.hashing.canonical_stored_json`` (verification) trusts orjson to write the
  sorted, compact text of a value whose numbers it has checked exactly as RFC 8785 does;
- ``eventstore.stored_hash.content_failures`` (the whole-store verify) trusts orjson to
  read a row's JSON exactly and write back text that parses to what it read (a byte-equal
  match with the appended RFC 8785 text then proves the content), and otherwise decides
  with the checked path;
- ``eventstore._records.recorded`` fills pydantic's instance slots itself instead of
  calling ``RecordedEvent.model_construct``.

The property tests compare each fast path with its plain path over generated inputs; the
version tests fail when a library moves outside the range the paths were checked on, so an
upgrade re-runs the checks (``HYPOTHESIS_PROFILE=explore``) and ``python -m bench.fastpaths``
before widening the range here.
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, datetime, timedelta, timezone
from importlib.metadata import version
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eventstore.hashing as hashing
import eventstore.stored_hash as stored_hash
from eventstore import RecordedEvent
from eventstore._records import recorded
from eventstore.stored_hash import content_failures

# Checked on (python -m bench.fastpaths, and these tests): see docs/performance.md.
CHECKED_PYTHON = {(3, 11)}
CHECKED_RFC8785 = {(0, 1)}
CHECKED_PYDANTIC = {(2, 14)}
CHECKED_ORJSON = {(3, 13)}


def _minor(package: str) -> tuple[int, int]:
    major, minor = version(package).split(".")[:2]
    return int(major), int(minor)


def test_json_fast_path_runs_on_the_python_it_was_checked_on() -> None:
    assert sys.version_info[:2] in CHECKED_PYTHON, (
        "canonical_json's fast path trusts this CPython's json encoder: re-check it"
    )
    assert _minor("rfc8785") in CHECKED_RFC8785, "the reference implementation changed"
    assert _minor("orjson") in CHECKED_ORJSON, (
        "canonical_stored_json trusts orjson to write sorted compact JSON as RFC 8785 does"
    )


def test_recorded_runs_on_the_pydantic_it_was_checked_on() -> None:
    assert _minor("pydantic") in CHECKED_PYDANTIC, (
        "recorded() fills pydantic's instance slots itself: re-check it on this version"
    )


def test_ordinary_payloads_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # If the fast path silently fell back for everything, the equality property would still
    # hold and only the benchmark would notice: refuse the fallback for typical payloads.
    def no_fallback(value: Any) -> str:
        raise AssertionError(f"fell back to rfc8785 for {value!r}")

    monkeypatch.setattr(hashing, "_reference", no_fallback)
    payload = {
        "plan_id": "GHA-2026",
        "milestone_id": "M1",
        "title": "Rotate officers at the border post every 24 months, é€",
        "key_factors": ["transparency", "automation"],
        "percent": 40,
        "baseline": 0.25,
        "nested": {"b": None, "a": True},
    }
    assert hashing.canonical_json(payload) == (
        '{"baseline":0.25,"key_factors":["transparency","automation"],'
        '"milestone_id":"M1","nested":{"a":true,"b":null},"percent":40,'
        '"plan_id":"GHA-2026","title":"Rotate officers at the border post every 24 months, é€"}'
    )


def test_recorded_fills_every_slot_pydantic_keeps() -> None:
    # recorded() sets exactly these; a slot added by a new pydantic would be left unset.
    from pydantic import BaseModel

    assert set(BaseModel.__slots__) == {
        "__dict__",
        "__pydantic_fields_set__",
        "__pydantic_extra__",
        "__pydantic_private__",
    }


def _json_objects(numbers: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    leaves = st.none() | st.booleans() | numbers | st.text(max_size=8)
    return st.dictionaries(
        st.text(max_size=6),
        st.recursive(
            leaves,
            lambda children: (
                st.lists(children, max_size=3)
                | st.dictionaries(st.text(max_size=4), children, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=5,
    )


# What an append accepts (exact JSON numbers) ...
json_objects = _json_objects(
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15)
)
# ... and what a tampered row may hold: any integer or float JSON can write.
wide_objects = _json_objects(
    st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
)
instants = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
) | st.datetimes(timezones=st.just(timezone(timedelta(hours=-5))))


@settings(max_examples=300, deadline=None)
@given(
    data=json_objects,
    metadata=json_objects,
    occurred_at=instants,
    recorded_at=instants,
    schema_version=st.integers(min_value=1, max_value=50),
    version_=st.integers(min_value=1, max_value=2**40),
    position=st.integers(min_value=1, max_value=2**62),
    type_=st.from_regex(r"[a-z][a-z_]{0,20}", fullmatch=True),
)
def test_recorded_equals_model_construct(
    data: dict[str, Any],
    metadata: dict[str, Any],
    occurred_at: datetime,
    recorded_at: datetime,
    schema_version: int,
    version_: int,
    position: int,
    type_: str,
) -> None:
    fields: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "type": type_,
        "data": data,
        "metadata": metadata,
        "occurred_at": occurred_at,
        "schema_version": schema_version,
        "stream_id": "plan-GHA-2026",
        "version": version_,
        "global_position": position,
        "recorded_at": recorded_at,
        "prev_hash": "0" * 64,
        "hash": "a" * 64,
    }
    fast = recorded(dict(fields))
    plain = RecordedEvent.model_construct(**fields)
    assert fast == plain
    assert type(fast) is RecordedEvent
    # Every slot pydantic keeps per instance, not only what __eq__ compares.
    assert fast.__dict__ == plain.__dict__
    assert fast.__pydantic_fields_set__ == plain.__pydantic_fields_set__
    assert fast.__pydantic_extra__ == plain.__pydantic_extra__
    assert fast.__pydantic_private__ == plain.__pydantic_private__
    assert fast.model_dump() == plain.model_dump()
    assert fast.model_dump_json() == plain.model_dump_json()
    assert repr(fast) == repr(plain)
    changed = {"data": {"changed": True}}
    assert fast.model_copy(update=changed) == plain.model_copy(update=changed)
    with pytest.raises(ValueError):  # frozen, like a validated one
        fast.version = 0  # type: ignore[misc]  # the point: it is read-only


# PostgreSQL writes jsonb as text with ", " and ": " and its own key order (length first):
# any layout and order of the same value must give the same canonical text.
def _as_postgres_writes(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _canonical_or_error(value: Any) -> str:
    try:
        return hashing.canonical_json(value)
    except ValueError as error:
        return f"error {type(error).__name__}"


@settings(max_examples=500, deadline=None)
@given(value=wide_objects)
def test_canonical_stored_json_equals_canonical_json_of_the_parsed_text(value: Any) -> None:
    _assert_same_as_parsed(_as_postgres_writes(value))


@pytest.mark.parametrize(
    "text",
    ['{"a": 5.0}', '{"a": 0.0000001}', '{"a": 1e400}', '{"b": 12345678901234567890}',
     '{"a": -0.0}', '{"\ue000": 1, "\U0001f600": 2}', '{"a": 100000000000000000000.5}'],
)  # fmt: skip
def test_canonical_stored_json_falls_back_exactly(text: str) -> None:
    _assert_same_as_parsed(text)


def _assert_same_as_parsed(text: str) -> None:
    try:
        fast = hashing.canonical_stored_json(text)
    except ValueError as error:
        fast = f"error {type(error).__name__}"
    assert fast == _canonical_or_error(json.loads(text))


@settings(max_examples=300, deadline=None)
@given(
    data=wide_objects,
    metadata=json_objects,
    occurred_at=instants,
    schema_version=st.integers(min_value=1, max_value=50),
    version_=st.integers(min_value=1, max_value=2**31 - 1),
    stream_id=st.from_regex(r"[a-z]+-[A-Za-z0-9_.:-]{1,20}", fullmatch=True) | st.text(),
    type_=st.from_regex(r"[a-z][a-z_]{0,20}", fullmatch=True) | st.text(max_size=5),
)
def test_stored_event_hash_equals_compute_hash(
    data: dict[str, Any],
    metadata: dict[str, Any],
    occurred_at: datetime,
    schema_version: int,
    version_: int,
    stream_id: str,
    type_: str,
) -> None:
    event_id = uuid.uuid4()
    fields = {
        "event_id": event_id, "stream_id": stream_id, "type": type_,
        "schema_version": schema_version, "data": data, "metadata": metadata,
        "occurred_at": occurred_at, "version": version_,
    }  # fmt: skip
    try:
        plain = hashing.compute_hash("0" * 64, fields)
    except ValueError:
        plain = "not canonical"
    try:
        fast = hashing.stored_event_hash(
            "0" * 64, event_id=str(event_id), stream_id=stream_id, type=type_,
            schema_version=schema_version, data_json=_as_postgres_writes(data),
            metadata_json=_as_postgres_writes(metadata), occurred_at=occurred_at,
            version=version_,
        )  # fmt: skip
    except ValueError:
        fast = "not canonical"
    assert fast == plain


def test_ordinary_stored_payloads_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fallback(value: Any) -> str:
        raise AssertionError(f"fell back for {value!r}")

    monkeypatch.setattr(hashing, "canonical_json", no_fallback)
    monkeypatch.setattr(hashing, "_reference", no_fallback)
    text = '{"title": "Rotate officers, é€", "weight": 0.25, "progress": 40, "nested": {"b": null}}'
    assert hashing.canonical_stored_json(text) == (
        '{"nested":{"b":null},"progress":40,"title":"Rotate officers, é€","weight":0.25}'
    )


# stored_hash.content_failures (the whole-store verify): orjson's rewrite first, the checked
# path when that misses. It must say "holds" exactly when the checked path does, whatever the
# row holds now: the appended payload, a changed one, or one orjson writes differently.
def _holds_both_ways(appended: Any, now: Any, occurred_at: datetime) -> tuple[bool, bool]:
    prev, event_id = "ab" * 32, str(uuid.uuid4())
    fields = {
        "event_id": event_id, "stream_id": "plan-GHA-2026", "type": "measure_added",
        "schema_version": 1, "data": appended, "metadata": {"actor": "u-1"},
        "occurred_at": occurred_at, "version": 7,
    }  # fmt: skip
    try:
        digest = hashing.compute_hash(prev, fields)
    except ValueError:
        digest = "0" * 64
    row = {**fields, "data_json": _as_postgres_writes(now), "metadata_json": '{"actor": "u-1"}'}
    del row["data"], row["metadata"]
    instant = hashing.canonical_datetime(occurred_at) + "AD"  # as STORED_INSTANT writes it
    as_read = (
        event_id, "plan-GHA-2026", 7, 1, "measure_added", 1, row["data_json"],
        row["metadata_json"], instant, prev, digest,
    )  # columns of STORED_ROWS, position 1  # fmt: skip
    fast = content_failures([as_read]) == []
    try:
        checked = hashing.stored_event_hash(prev, **row) == digest
    except ValueError:
        checked = False
    return fast, checked


@settings(max_examples=400, deadline=None)
@given(appended=wide_objects, changed=wide_objects, same=st.booleans(), occurred_at=instants)
def test_a_stored_hash_holds_exactly_when_the_checked_path_says_so(
    appended: dict[str, Any], changed: dict[str, Any], same: bool, occurred_at: datetime
) -> None:
    fast, checked = _holds_both_ways(appended, appended if same else changed, occurred_at)
    assert fast == checked


@pytest.mark.parametrize(
    "payload",
    [{"a": 5.0}, {"a": 1e-07}, {"\ue000": 1, "\U0001f600": 2}, {"a": "\ud800"}, {"t": 'q"\n'}],
)
def test_what_orjson_writes_otherwise_still_holds_through_the_checked_path(
    payload: dict[str, Any],
) -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    fast, checked = _holds_both_ways(payload, payload, moment)
    assert fast == checked == (payload != {"a": "\ud800"})  # a lone surrogate: not JSON
    assert _holds_both_ways(payload, {**payload, "x": 1}, moment) == (False, False)


def test_ordinary_rows_never_take_the_checked_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # If orjson's rewrite stopped matching RFC 8785 for ordinary payloads, every row would
    # silently take the checked path and only the benchmark would notice.
    def no_fallback(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("took the checked path")

    appended = {"title": "Rotate officers, é€", "weight": 0.25, "progress": 40, "n": None}
    moment = datetime(2026, 1, 1, 8, 30, tzinfo=UTC)
    fast, _ = _holds_both_ways(appended, appended, moment)
    monkeypatch.setattr(stored_hash, "stored_event_hash", no_fallback)
    assert fast and _holds_both_ways(appended, appended, moment)[0]
