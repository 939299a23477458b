"""PlanFold's shortcuts give what the plain per-event computation gives.

The fold skips the quarter-end computation for an event recorded before the next quarter
end's boundary (projections.plans ``next_boundary``), a rebuild hands it the stored JSON
text instead of a decoded dict, and a rebuild's fold changes its states in place: none may
change a row.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

from domain import EVENT_SCHEMA_VERSIONS, PlanState, evolve, parse_event
from projections.plans import PlanFold
from projections.trend import quarter_ends_between, trend_rows
from testkit.synthetic import plan_history

Row = tuple[Any, ...]


def _rows(plans: int, seed: int) -> list[Row]:
    """Event rows of several plans interleaved, recorded at their business time (so they
    cross many quarter ends), sometimes a little earlier than the event before them (the
    database's clock is not ordered with commit order)."""
    rng = random.Random(seed)
    events = [
        (e.occurred_at, append.stream_id, append.expected_version + n + 1, e)
        for index in range(plans)
        for append in plan_history(index, seed=seed)
        for n, e in enumerate(append.events)
    ]
    events.sort(key=lambda item: (item[0], item[1], item[2]))
    rows = []
    for position, (at, stream_id, version, e) in enumerate(events, start=1):
        recorded_at = at - timedelta(hours=rng.choice([0, 0, 0, 30]))
        rows.append(
            (
                position,
                stream_id,
                version,
                e.type,
                EVENT_SCHEMA_VERSIONS[e.type],
                json.dumps(e.data),
                e.occurred_at,
                recorded_at,
                e.event_id,
            )
        )
    return rows


def _plain_trend(rows: list[Row]) -> list[Row]:
    """The trend rows as the fold made them before its shortcut: every event asks which
    quarter ends passed since its plan's previous one."""
    states: dict[str, PlanState] = {}
    last: dict[str, datetime] = {}
    trend: list[Row] = []
    for _, stream_id, _, type_, version, data, _, recorded_at, _ in rows:
        plan_id = stream_id.removeprefix("plan-")
        state = states.get(plan_id)
        if state is not None:
            passed = list(quarter_ends_between(last[plan_id], recorded_at))
            trend.extend(trend_rows(state, passed))
        states[plan_id] = evolve(state, parse_event(type_, json.loads(data), version))
        last[plan_id] = recorded_at
    return trend


def test_the_fold_fixes_the_same_quarter_ends_as_asking_at_every_event() -> None:
    rows = _rows(12, seed=5)
    fold = PlanFold(complete=True)
    for row in rows:
        fold.apply_fields(*row)
    expected = _plain_trend(rows)
    assert len(expected) > 100
    assert fold.take_changed().trend == expected


def test_stored_text_and_decoded_data_fold_to_the_same_rows() -> None:
    rows = _rows(8, seed=9)
    from_text, from_dicts = PlanFold(complete=True), PlanFold(complete=True)
    for row in rows:
        from_text.apply_fields(*row)
        position, stream_id, version, type_, schema, data, occurred, recorded, event_id = row
        from_dicts.apply_fields(
            position,
            stream_id,
            version,
            type_,
            schema,
            json.loads(data),
            occurred,
            recorded,
            event_id,
        )
    assert from_text.states == from_dicts.states
    text_rows, dict_rows = from_text.take_changed(), from_dicts.take_changed()
    assert text_rows == dict_rows


def test_a_fold_that_owns_its_states_writes_the_same_rows() -> None:
    # A rebuild's fold changes its states in place (domain.evolve_owned); the trend rows a
    # state fixes are taken before its next event changes it.
    rows = _rows(10, seed=13)
    owning, copying = PlanFold(complete=True, owns_states=True), PlanFold(complete=True)
    for row in rows:
        owning.apply_fields(*row)
        copying.apply_fields(*row)
    assert owning.states == copying.states
    owned_rows, copied_rows = owning.take_changed(), copying.take_changed()
    assert len(copied_rows.trend) > 100
    assert owned_rows == copied_rows
