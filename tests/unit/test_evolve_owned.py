"""``domain.evolve_owned`` (a rebuild's fold changes its own states in place) gives exactly
the states ``evolve`` gives, slot for slot, after every event of realistic histories; an
event evolve refuses leaves the owned state as it was. The recorded histories of older
generations are checked in tests/integration/test_replay.py, random ones in
tests/unit/test_domain_properties.py, the fold's rows in tests/unit/test_projections_fold.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from domain import Event, PlanState, evolve, evolve_owned
from domain.events import (
    EVENT_TYPES,
    IndicatorRemoved,
    MilestoneCompleted,
    MilestoneRemoved,
    OutcomeRemoved,
    PlanOpened,
)
from tests.unit.test_domain_fastpaths import HISTORIES

AT = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


def _slots(model: BaseModel) -> tuple[Any, ...]:
    return (
        type(model),
        model.__dict__,
        list(model.__dict__),  # the same field order too (the stored JSON keeps it)
        model.__pydantic_fields_set__,
        model.__pydantic_extra__,
        model.__pydantic_private__,
    )


def _opened(events: list[Event], count: int) -> PlanState:
    state = None
    for event in events[:count]:
        state = evolve(state, event)
    assert state is not None
    return state


def test_the_owned_fold_equals_evolve_after_every_event() -> None:
    checked: set[str] = set()
    for events in HISTORIES[:-1]:
        plain: PlanState | None = None
        owned: PlanState | None = None
        for event in events:
            plain = evolve(plain, event)
            owned = evolve_owned(owned, event)
            assert _slots(owned) == _slots(plain), event.type
            checked.add(event.type)
    # The types realistic histories never make are applied onto a state below.
    assert checked | {e.type for e in HISTORIES[-1]} == set(EVENT_TYPES)


def test_the_types_histories_never_make_fold_alike() -> None:
    history = HISTORIES[0]
    for event in HISTORIES[-1]:
        plain, owned = _opened(history, len(history)), _opened(history, len(history))
        try:
            expected: PlanState | Exception = evolve(plain, event)
        except ValueError as refusal:
            expected = refusal
        if isinstance(expected, Exception):
            with pytest.raises(ValueError, match=str(expected)):
                evolve_owned(owned, event)
            assert _slots(owned) == _slots(plain)
        else:
            assert _slots(evolve_owned(owned, event)) == _slots(expected)


@pytest.mark.parametrize(
    "event",
    [
        MilestoneRemoved(milestone_id="M-none", actor="gha.focal", at=AT),
        MilestoneCompleted(milestone_id="M-none", evidence="", actor="gha.focal", at=AT),
        IndicatorRemoved(indicator_id="I-none", actor="gha.focal", at=AT),
        OutcomeRemoved(outcome_id="O-none", actor="gha.focal", at=AT),
    ],
    ids=lambda e: e.type,
)
def test_an_event_evolve_refuses_leaves_the_owned_state_as_it_was(event: Event) -> None:
    history = HISTORIES[0]
    owned, untouched = _opened(history, 30), _opened(history, 30)
    with pytest.raises(ValueError, match="unknown"):
        evolve_owned(owned, event)
    assert _slots(owned) == _slots(untouched)


def test_a_second_plan_opened_is_refused_and_changes_nothing() -> None:
    history = HISTORIES[0]
    opened = history[0]
    assert isinstance(opened, PlanOpened)
    owned, untouched = _opened(history, 10), _opened(history, 10)
    with pytest.raises(ValueError, match="already open"):
        evolve_owned(owned, opened)
    assert _slots(owned) == _slots(untouched)


def test_evolve_still_leaves_its_input_alone() -> None:
    history = HISTORIES[0]
    state = _opened(history, 10)
    before = _slots(state.model_copy())
    after = evolve(state, history[10])
    assert after is not state and _slots(state) == before
