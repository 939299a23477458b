"""A caller that retries as a client would (the same command_id again after a retryable 503
answer, so a retry appends nothing), and a valid body of every command for the fuzz tests.
The commands of a plan's lifecycle come from tests/support/plans.py."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from api.errors import ApiError
from contracts.temporal import CommandResult
from domain import Actor
from tests.support.plans import Step, WorkflowPlan

# A valid body (besides "type") of every command but open_plan, for a plan in the right phase.
VALID_FIELDS: dict[str, dict[str, Any]] = {
    "record_diagnostic_finding": {"key_factor": "transparency", "maturity": 3, "summary": "s"},
    "complete_diagnostic": {},
    "add_milestone": {
        "milestone_id": "M9",
        "title": "t",
        "key_factor": "automation",
        "due_date": "2026-12-31",
    },
    "remove_milestone": {"milestone_id": "M1"},
    "define_indicator": {
        "indicator_id": "I9",
        "name": "n",
        "key_factor": "automation",
        "unit": "%",
        "baseline": 0,
        "target": 1,
    },
    "remove_indicator": {"indicator_id": "I1"},
    "submit_for_approval": {},
    "approve_plan": {"comment": "ok"},
    "request_changes": {"reason": "r"},
    "report_milestone_progress": {"milestone_id": "M1", "percent": 10, "note": "n"},
    "complete_milestone": {"milestone_id": "M1", "evidence": "e"},
    "reschedule_milestone": {"milestone_id": "M1", "new_due_date": "2027-06-30", "reason": "r"},
    "record_measurement": {"indicator_id": "I1", "value": 20, "measured_on": "2026-06-30"},
    "revise_indicator_target": {"indicator_id": "I1", "new_target": 95, "reason": "r"},
    "start_evaluation": {},
    "rate_key_factor": {"key_factor": "code_of_conduct", "rating": "achieved", "note": "n"},
    "close_plan": {"summary": "s"},
    "cancel_plan": {"reason": "r"},
}


@dataclass
class Caller:
    """Sends commands as a careful client: one command_id per command, kept across retries."""

    plan: WorkflowPlan
    attempts: int = 8
    retries: int = 0
    answers: list[CommandResult] = field(default_factory=list)

    async def send(self, actor: Actor, command: dict[str, Any]) -> CommandResult:
        command = {"command_id": str(uuid.uuid4()), **command}
        for attempt in range(1, self.attempts + 1):
            try:
                result = await self.plan.send(actor, **command)
            except ApiError as error:
                if error.status != 503 or attempt == self.attempts:
                    raise
                self.retries += 1
                await asyncio.sleep(0.5 * attempt)
                continue
            self.answers.append(result)
            return result
        raise AssertionError("unreachable")

    async def run(self, steps: list[Step]) -> None:
        for actor, command in steps:
            await self.send(actor, command)

    def acknowledged(self) -> list[tuple[int, uuid.UUID]]:
        """(version, event_id) of every event the caller was told is stored."""
        return [(e.version, e.event_id) for answer in self.answers for e in answer.events]
