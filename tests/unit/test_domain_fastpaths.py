"""Guards for the domain's two fast paths (docs/performance.md, "Rebuild"):

- ``domain.copying.replaced`` fills pydantic's instance slots itself instead of calling
  ``model_copy(update=...)`` (every ``evolve``);
- ``domain.events.parse_current_event_json`` lets pydantic read an event's stored JSON
  text into its own class instead of ``parse_event(type, json.loads(text))`` (a rebuild).

Each must give exactly what the plain path gives, over every event type of realistic
histories; the version test fails when pydantic moves outside the range the copy was
checked on, so an upgrade re-runs these tests and ``python -m bench.rebuild`` first.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import pytest
from pydantic import BaseModel

import domain.state
from domain import EVENT_SCHEMA_VERSIONS, Event, evolve, parse_event
from domain.copying import replaced
from domain.events import (
    EVENT_TYPES,
    IndicatorRemoved,
    OutcomeRemoved,
    PlanDonorsChanged,
    event_data,
    parse_current_event_json,
)
from testkit.synthetic import plan_history

CHECKED_PYDANTIC = {(2, 14)}
# Every model of the plan state (replaced() may copy any of them).
STATE_MODELS = tuple(
    model
    for model in vars(domain.state).values()
    if isinstance(model, type) and issubclass(model, BaseModel) and model is not BaseModel
)
AT = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


def _histories() -> list[list[Event]]:
    """Events of realistic plans (every type synthetic histories make), as parsed back
    from their stored data, plus the types they never make."""
    histories = []
    for index in range(40):
        events = [
            parse_event(e.type, e.data, EVENT_SCHEMA_VERSIONS[e.type])
            for append in plan_history(index, seed=11)
            for e in append.events
        ]
        histories.append(events)
    histories.append(
        [
            OutcomeRemoved(outcome_id="O2", actor="gha.focal", at=AT),
            IndicatorRemoved(indicator_id="I9", actor="gha.focal", at=AT),
            PlanDonorsChanged(
                donors=["norad", "canada"],
                previous=["norad"],
                reason="Canada joined",
                actor="wco.manager",
                at=AT,
            ),
        ]
    )
    return histories


HISTORIES = _histories()


def test_replaced_runs_on_the_pydantic_it_was_checked_on() -> None:
    major, minor = version("pydantic").split(".")[:2]
    assert (int(major), int(minor)) in CHECKED_PYDANTIC, (
        "replaced() fills pydantic's instance slots itself: re-check it on this version"
    )
    # replaced() sets exactly these; a slot added by a new pydantic would be left unset.
    assert set(BaseModel.__slots__) == {
        "__dict__",
        "__pydantic_fields_set__",
        "__pydantic_extra__",
        "__pydantic_private__",
    }


@pytest.mark.parametrize("model", STATE_MODELS, ids=lambda m: m.__name__)
def test_state_models_have_no_extra_fields_or_private_attributes(model: type[BaseModel]) -> None:
    # replaced() writes None into both slots: true only for models like these.
    assert model.model_config.get("extra") != "allow"
    assert not model.__private_attributes__


def _slots(model: BaseModel) -> tuple[Any, ...]:
    return (
        type(model),
        model.__dict__,
        model.__pydantic_fields_set__,
        model.__pydantic_extra__,
        model.__pydantic_private__,
    )


def test_replaced_equals_model_copy_slot_for_slot_along_real_histories() -> None:
    checked = 0
    for events in HISTORIES[:-1]:
        state = None
        for event in events:
            state = evolve(state, event)
            changes = {"version": state.version + 1, "last_changed_at": AT}
            assert _slots(replaced(state, changes)) == _slots(state.model_copy(update=changes))
            for m in state.milestones.values():
                update = {"percent": 70, "status": "in_progress", "last_note": "Nearly"}
                assert _slots(replaced(m, update)) == _slots(m.model_copy(update=update))
            for i in state.indicators.values():
                update = {"measurements": [*i.measurements], "measurements_due_sent": 3}
                assert _slots(replaced(i, update)) == _slots(i.model_copy(update=update))
            checked += 1
    assert checked > 1000


def test_replaced_leaves_the_original_alone() -> None:
    state = None
    for event in HISTORIES[0][:20]:
        state = evolve(state, event)
    assert state is not None
    before = _slots(state.model_copy())
    after = replaced(state, {"title": "Another title"})
    assert (after.title, _slots(state)) == ("Another title", before)
    assert after.__pydantic_fields_set__ is not state.__pydantic_fields_set__


def test_every_event_type_is_covered() -> None:
    assert {e.type for events in HISTORIES for e in events} == set(EVENT_TYPES)


@pytest.mark.parametrize("separators", [(", ", ": "), (",", ":")], ids=["postgres", "compact"])
def test_reading_the_stored_text_equals_parse_event(separators: tuple[str, str]) -> None:
    # PostgreSQL's jsonb text is the first layout (a space after ',' and ':').
    for events in HISTORIES:
        for event in events:
            text = json.dumps(event_data(event), separators=separators, ensure_ascii=False)
            plain = parse_event(event.type, json.loads(text), EVENT_SCHEMA_VERSIONS[event.type])
            fast = parse_current_event_json(event.type, text)
            assert (type(fast), fast.model_dump()) == (type(plain), plain.model_dump())
            assert fast == plain == event


def test_reading_the_stored_text_refuses_what_parse_event_refuses() -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        parse_current_event_json("plan_exploded", "{}")
    text = json.dumps({"milestone_id": "M1", "percent": 140, "note": "", "actor": "a"})
    with pytest.raises(ValueError):
        parse_event("milestone_progress_reported", json.loads(text), 1)
    with pytest.raises(ValueError):
        parse_current_event_json("milestone_progress_reported", text)
