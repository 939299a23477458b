"""The pure parts of projections: folding rules, derived rows, offline export checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer

from domain import BenchmarkStatus, PlanState, fold, parse_event
from domain.benchmarks import key_factor_status
from eventstore import GENESIS_HASH, NewEvent, RecordedEvent, compute_hash
from projections.export import verify_export, write_export
from projections.plans import PlanFold, ProjectionEventError
from projections.rows import SUMMARY_COLUMNS, PlanRows, worst_key_factor_status
from testkit.synthetic import plan_history
from workers.cli_audit import parse_instant

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def recorded(history_index: int = 0, seed: int = 40) -> list[RecordedEvent]:
    """A plan's events as the store would return them, hashes and all."""
    events: list[RecordedEvent] = []
    prev = GENESIS_HASH
    for append in plan_history(history_index, seed=seed):
        for new in append.events:
            version = len(events) + 1
            fields: dict[str, Any] = {
                **new.model_dump(),
                "stream_id": append.stream_id,
                "version": version,
                "global_position": 1000 * (history_index + 1) + version,
                "recorded_at": T0 + timedelta(seconds=version),
                "prev_hash": prev,
            }
            prev = compute_hash(prev, fields)
            events.append(RecordedEvent(**fields, hash=prev))
    return events


def folded(events: list[RecordedEvent]) -> PlanState:
    state = fold(parse_event(e.type, e.data) for e in events)
    assert state is not None
    return state


def test_fold_equals_the_domain_fold_and_remembers_the_last_event() -> None:
    events = recorded()
    fold_ = PlanFold()
    for event in events:
        fold_.apply(event)
    plan_id = events[0].stream_id.removeprefix("plan-")
    assert fold_.states[plan_id] == folded(events)
    assert fold_.position == events[-1].global_position
    last = events[-1]
    assert fold_.changed == {
        plan_id: (last.type, last.occurred_at, last.recorded_at, last.global_position)
    }


def test_an_event_folded_already_is_not_counted_twice() -> None:
    events = recorded()
    fold_ = PlanFold()
    for event in [*events[:10], events[5], events[9], *events[10:]]:
        fold_.apply(event)
    assert fold_.states[events[0].stream_id.removeprefix("plan-")] == folded(events)


def test_a_gap_in_a_stream_is_a_failure_and_changes_nothing() -> None:
    events = recorded()
    fold_ = PlanFold()
    for event in events[:4]:
        fold_.apply(event)
    before = (dict(fold_.states), dict(fold_.changed), fold_.position)
    with pytest.raises(ProjectionEventError) as error:
        fold_.apply(events[5])
    failure = error.value.failure
    assert (failure.position, failure.event_type) == (events[5].global_position, events[5].type)
    assert "events are missing" in failure.error
    assert (fold_.states, fold_.changed, fold_.position) == before


def test_events_of_other_streams_move_the_position_only() -> None:
    other = NewEvent(event_id=recorded()[0].event_id, type="x", data={}, occurred_at=T0)
    event = RecordedEvent(
        **other.model_dump(),
        stream_id="audit-1",
        version=1,
        global_position=7,
        recorded_at=T0,
        prev_hash=GENESIS_HASH,
        hash=GENESIS_HASH,
    )
    fold_ = PlanFold()
    fold_.apply(event)
    assert (fold_.states, fold_.changed, fold_.position) == ({}, {}, 7)
    assert fold_.missing(["audit-1", "plan-AAA-2020"]) == ["AAA-2020"]
    assert PlanFold(complete=True).missing(["plan-AAA-2020"]) == []


def test_rows_follow_the_state_and_the_benchmark_formula() -> None:
    events = recorded(3)
    state = folded(events)
    fold_ = PlanFold()
    for event in events:
        fold_.apply(event)
    rows: PlanRows = fold_.take_changed()
    assert fold_.changed == {}
    (summary,) = rows.summary
    milestones = list(state.milestones.values())
    assert summary[0] == state.plan_id
    assert summary[14:18] == (
        len(milestones),
        sum(m.status == "completed" for m in milestones),
        sum(m.is_overdue for m in milestones),
        len(state.indicators),
    )
    benchmarks = key_factor_status(state)
    assert summary[18] == worst_key_factor_status(benchmarks).value
    assert PlanState.model_validate_json(summary[SUMMARY_COLUMNS.index("state")]) == state
    assert [row[1] for row in rows.milestones] == list(state.milestones)
    assert [row[1] for row in rows.benchmarks] == [k.value for k in benchmarks]
    assert [row[3] for row in rows.benchmarks] == [b.status.value for b in benchmarks.values()]
    for row in rows.indicators:
        dates = [m["measured_on"] for m in json.loads(row[-1])]
        assert dates == sorted(dates)


def test_worst_status_ignores_key_factors_without_indicators() -> None:
    state = folded(recorded(3))
    benchmarks = key_factor_status(state)
    covered = [b.status for b in benchmarks.values() if b.indicators]
    order = list(BenchmarkStatus)
    assert worst_key_factor_status(benchmarks) == min(covered, key=order.index)
    assert worst_key_factor_status({}) is BenchmarkStatus.NOT_COVERED


def _export(tmp_path: Path) -> list[RecordedEvent]:
    events = recorded(1)
    rows = [e.model_dump() for e in events]
    write_export(tmp_path, "AAB-2020", events[0].stream_id, rows)
    return events


def _lines(tmp_path: Path) -> list[str]:
    return (tmp_path / "events.jsonl").read_text().splitlines()


def _write_lines(tmp_path: Path, lines: list[str]) -> None:
    (tmp_path / "events.jsonl").write_text("".join(line + "\n" for line in lines))


def test_an_export_verifies_offline(tmp_path: Path) -> None:
    events = _export(tmp_path)
    check = verify_export(tmp_path)
    assert (check.ok, check.events, check.head_hash) == (True, len(events), events[-1].hash)


def test_swapped_lines_still_verify_but_a_changed_file_is_noticed(tmp_path: Path) -> None:
    _export(tmp_path)
    lines = _lines(tmp_path)
    lines[1], lines[2] = lines[2], lines[1]
    _write_lines(tmp_path, lines)
    check = verify_export(tmp_path)
    # The chain is checked in version order, so only the file digest sees the swap.
    assert not check.breaks
    assert check.problems == ["events.jsonl differs from the file that was exported (SHA-256)"]


def test_a_garbled_line_is_named(tmp_path: Path) -> None:
    _export(tmp_path)
    lines = _lines(tmp_path)
    lines[3] = lines[3][:-10]
    _write_lines(tmp_path, lines)
    check = verify_export(tmp_path)
    assert not check.ok
    assert check.problems[0] == "line 4 of events.jsonl is not valid JSON"
    assert check.unreadable_lines == [4]  # what makes the CLI exit 2, not 1
    # Version 4 is gone, so version 5 no longer follows version 3.
    assert check.breaks[0].version == 5


def test_instants_for_replay() -> None:
    assert parse_instant("2026-03-01") == datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_instant("2026-03-01T12:00:00") == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert parse_instant("2026-03-01T12:00:00+02:00") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    with pytest.raises(typer.Exit):
        parse_instant("yesterday")
