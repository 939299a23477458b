"""Hostile input, fuzzed with hypothesis (derandomized: the same examples on every run).

- Command parsing (domain.parse_command, COMMAND_ADAPTER.validate_json): random JSON and
  near-valid commands with one field broken -> a command or a ValidationError, nothing else.
- A command that parses is decided in every phase by every role -> events or a
  DomainError, and the events it yields are ones the event store accepts (a command the
  domain accepts but the store refuses would come back as a retryable 503 forever).
- Event payload decoding (domain.parse_event) -> an event or a ValidationError.
- The store's encoding and decoding: any JSON object as ``data`` is stored and read back
  equal with its hash intact, or refused up front with InvalidEventError.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from domain import (
    COMMAND_ADAPTER,
    COMMAND_TYPES,
    EVENT_TYPES,
    DomainError,
    PlanState,
    decide,
    event_data,
    parse_command,
    parse_event,
)
from eventstore import InvalidEventError, NewEvent, PostgresEventStore
from eventstore._prepare import prepare_append
from testkit.synthetic import plan_history
from tests.reliability.plans import VALID_FIELDS
from tests.support.hypothesis_profiles import examples
from tests.unit import domain_builders as b

T = TypeVar("T")
FUZZ = settings(
    max_examples=examples(400),
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HOSTILE_TEXT = st.one_of(
    st.text(max_size=12),
    st.text(st.characters(codec="utf-8"), max_size=12),
    st.sampled_from(["\x00", "a\x00b", "\ud800", "x\udfff", "\u2028", "\ufeff", " ", "\t\n"]),
    st.builds(lambda: "x" * 4001),  # one over the longest text field
)
HOSTILE_NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.sampled_from([2**53, -(2**53), 1e16, -1e300, 2**63, 0.1, -0.0, 9007199254740991]),
)
SCALARS = st.one_of(st.none(), st.booleans(), HOSTILE_NUMBER, HOSTILE_TEXT)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(HOSTILE_TEXT, inner, max_size=4),
    max_leaves=10,
)
OPEN_PLAN = {
    "country": "GHA",
    "administration": "Ghana Revenue Authority",
    "title": "Plan",
    "period_start": "2026-01-01",
    "period_end": "2027-12-31",
}
BODIES = {**VALID_FIELDS, "open_plan": OPEN_PLAN}


@st.composite
def near_valid_commands(draw: st.DrawFn) -> dict[str, Any]:
    """A valid command with up to three fields broken: replaced, dropped, added, retyped."""
    kind = draw(st.sampled_from(sorted(BODIES)))
    body: dict[str, Any] = {"type": kind, **BODIES[kind]}
    for _ in range(draw(st.integers(0, 3))):
        if not body:
            break
        key = draw(st.sampled_from(sorted(body)))
        action = draw(st.sampled_from(["json", "text", "number", "drop", "add", "retype"]))
        if action == "json":
            body[key] = draw(JSON)
        elif action == "text":
            body[key] = draw(HOSTILE_TEXT)
        elif action == "number":
            body[key] = draw(HOSTILE_NUMBER)
        elif action == "drop":
            body.pop(key)
        elif action == "add":
            body[draw(HOSTILE_TEXT)] = draw(JSON)
        else:
            body["type"] = draw(st.sampled_from([*COMMAND_TYPES, "", "open-plan", "x" * 99]))
    return body


def storable(events: list[Any], state: PlanState | None) -> None:
    """Raises InvalidEventError if the store would refuse these events."""
    version = 0 if state is None else state.version
    prepare_append(
        "plan-GHA-2026",
        version,
        [
            NewEvent(
                event_id=uuid.uuid4(),
                type=event.type,
                data=event_data(event),
                metadata={"actor": "fuzz"},
                occurred_at=b.T0,
            )
            for event in events
        ],
    )


STATES: list[PlanState | None] = [
    None,
    b.opened(),
    b.drafting(),
    b.ready_draft(),
    b.under_review(),
    b.implementation(),
    b.evaluation(),
]
ACTORS = [b.PM, b.FP, b.HOA, b.AUDITOR, b.OBSERVER, b.FP_OTHER]


@FUZZ
@given(st.one_of(near_valid_commands(), st.dictionaries(HOSTILE_TEXT, JSON, max_size=6)))
def test_command_parsing_refuses_only_with_validation_errors(body: dict[str, Any]) -> None:
    try:
        command = parse_command(body)
    except ValidationError:
        return
    assert command.type in COMMAND_TYPES


@FUZZ
@given(st.one_of(st.binary(max_size=200), JSON.map(lambda v: repr(v).encode())))
def test_command_json_decoding_refuses_only_with_validation_errors(raw: bytes) -> None:
    try:
        COMMAND_ADAPTER.validate_json(raw)
    except ValidationError:
        return


@FUZZ
@given(near_valid_commands())
def test_a_command_that_parses_is_decided_and_its_events_are_storable(
    body: dict[str, Any],
) -> None:
    try:
        command = parse_command(body)
    except ValidationError:
        return
    now = b.T0 + timedelta(days=200)
    for state in STATES:
        for actor in ACTORS:
            try:
                events = decide(state, command, actor, now)
            except DomainError:
                continue
            assert events
            storable(events, state)


def recorded_events() -> list[tuple[str, dict[str, Any]]]:
    return [
        (event.type, event.data)
        for append in plan_history(3, seed=2, implementation_steps=20)
        for event in append.events
    ]


REAL_EVENTS = recorded_events()


@st.composite
def near_valid_events(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    kind, data = draw(st.sampled_from(REAL_EVENTS))
    data = dict(data)
    replace = draw(st.booleans())
    if data and replace:
        data[draw(st.sampled_from(sorted(data)))] = draw(JSON)
    if draw(st.booleans()):
        data[draw(HOSTILE_TEXT)] = draw(JSON)
    if draw(st.integers(0, 4)) == 1:
        kind = draw(st.one_of(st.sampled_from(EVENT_TYPES), HOSTILE_TEXT))
    return kind, data


@FUZZ
@given(
    st.one_of(
        near_valid_events(),
        st.tuples(HOSTILE_TEXT, st.dictionaries(HOSTILE_TEXT, JSON, max_size=5)),
    )
)
def test_event_decoding_refuses_only_with_validation_errors(
    event: tuple[str, dict[str, Any]],
) -> None:
    kind, data = event
    try:
        parsed = parse_event(kind, data)
    except ValidationError:
        return
    assert parsed.type == kind


def run_on(loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, T]) -> T:
    """From hypothesis's thread, run a coroutine on the test's event loop (the pool's)."""
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=60)


# Hypothesis runs in a thread here while the event loop (asyncpg, the app) runs beside it:
# it notices the global random state move under it, which is not its strategies' doing.
THREADED = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")


@pytest.mark.slow
@THREADED
async def test_any_json_object_is_stored_exactly_or_refused_up_front(pool: asyncpg.Pool) -> None:
    loop = asyncio.get_running_loop()
    store = PostgresEventStore(pool)
    stream = f"fuzz-{uuid.uuid4().hex}"
    tally = {"stored": 0, "refused": 0}

    @settings(FUZZ, max_examples=examples(250))
    @given(st.dictionaries(HOSTILE_TEXT, JSON, max_size=5), st.dictionaries(HOSTILE_TEXT, JSON))
    def round_trip(data: dict[str, Any], metadata: dict[str, Any]) -> None:
        event = NewEvent(
            event_id=uuid.uuid4(),
            type="fuzzed",
            data=data,
            metadata=metadata,
            occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        try:
            result = run_on(loop, store.append(stream, "any", [event]))
        except InvalidEventError:
            tally["refused"] += 1
            return
        tally["stored"] += 1
        (back,) = run_on(loop, store.read_stream(stream, from_version=result.version))
        assert same_json(back.data, data) and same_json(back.metadata, metadata)

    await asyncio.to_thread(round_trip)
    report = await store.verify(stream)
    assert report.ok, report.breaks[:2]
    assert report.events_checked == tally["stored"]
    # Both outcomes were exercised (the numbers vary with hypothesis's choices, not by run).
    assert tally["stored"] > 20 and tally["refused"] > 5, tally
    print(f"\nstore fuzz: {tally}")


def same_json(a: Any, b_: Any) -> bool:
    """Equal as JSON values: 1 == 1.0, -0.0 == 0, dict order ignored."""
    if isinstance(a, dict) and isinstance(b_, dict):
        return a.keys() == b_.keys() and all(same_json(a[k], b_[k]) for k in a)
    if isinstance(a, list) and isinstance(b_, list):
        return len(a) == len(b_) and all(same_json(x, y) for x, y in zip(a, b_, strict=True))
    if isinstance(a, bool) or isinstance(b_, bool):
        return a is b_
    if isinstance(a, int | float) and isinstance(b_, int | float):
        return math.isclose(a, b_, rel_tol=0, abs_tol=0) or a == b_
    return bool(a == b_)
