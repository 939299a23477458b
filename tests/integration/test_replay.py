"""Determinism guard: recorded PlanWorkflow histories replay against today's workflow code.

A change that makes PlanWorkflow non-deterministic for running plans fails here. New
histories are recorded with `python -m tests.tools.record_histories` (then committed; see
docs/testing.md); a deliberate change to workflow logic goes through `workflow.patched`.
"""

from __future__ import annotations

from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

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
