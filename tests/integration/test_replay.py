"""Determinism guard: recorded PlanWorkflow histories replay against today's workflow code.

A change that makes PlanWorkflow non-deterministic for running plans fails here. New
histories are recorded with `python -m tests.tools.record_histories` (then committed; see
docs/testing.md); a deliberate change to workflow logic goes through `workflow.patched`.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from contracts.temporal import APPEND_EVENTS
from domain import evolve_owned, fold, parse_event
from workers.temporal import workflow_runner
from workflows.plan import PlanWorkflow

HISTORIES = Path(__file__).parent / "histories"


def saved_histories() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


async def test_saved_histories_replay_deterministically() -> None:
    paths = saved_histories()
    assert paths, f"no recorded histories under {HISTORIES}"
    replayer = Replayer(
        workflows=[PlanWorkflow],
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
    )
    for path in paths:
        history = WorkflowHistory.from_json(path.stem, path.read_text())
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


def appended_events(path: Path) -> list[tuple[str, dict[str, Any], int]]:
    """The events a recorded history appended (its append_events activities' inputs), as
    they were written then: (type, data, schema_version)."""
    found: list[tuple[str, dict[str, Any], int]] = []
    for event in json.loads(path.read_text())["events"]:
        scheduled = event.get("activityTaskScheduledEventAttributes")
        if not scheduled or scheduled["activityType"]["name"] != APPEND_EVENTS:
            continue
        payload = json.loads(base64.b64decode(scheduled["input"]["payloads"][0]["data"]))
        found.extend((e["type"], e["data"], e["schema_version"]) for e in payload["events"])
    return found


def test_events_of_recorded_histories_fold_through_todays_domain() -> None:
    """The events those runs wrote read through today's upcasters and evolve(); those
    written before the results framework (generations v1 and v2) read as flat plans with
    annual indicators without a path."""
    for path in saved_histories():
        events = appended_events(path)
        assert events, path.name
        state = fold(parse_event(t, data, version) for t, data, version in events)
        assert state is not None and state.version == len(events), path.name
        owned = None
        for t, data, version in events:
            # A rebuild's fold (the states changed in place) reads them alike.
            owned = evolve_owned(owned, parse_event(t, data, version))
        assert owned == state, path.name
        if path.stem.endswith("_v3"):
            continue
        assert state.outcomes == {}, path.name
        for indicator in state.indicators.values():
            assert indicator.reporting_frequency == "annual"
            assert indicator.period_targets == [] and indicator.outcome_id is None
        assert state.reminder_policy.measurement_grace_days == 30
