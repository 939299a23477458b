"""Drive plans through their lifecycle with real commands (shared by several tests)."""

from __future__ import annotations

from datetime import date
from typing import Any

from temporalio.client import Client

from api.dispatch import dispatch
from contracts.temporal import CommandResult
from domain import Actor, KeyFactor, Role, parse_command

MANAGER = Actor(name="wco.manager", role=Role.PROGRAMME_MANAGER)
FOCAL = Actor(name="gha.focal", role=Role.FOCAL_POINT, country="GHA")
HEAD = Actor(name="gha.head", role=Role.HEAD_OF_ADMINISTRATION, country="GHA")
OTHER_FOCAL = Actor(name="ken.focal", role=Role.FOCAL_POINT, country="KEN")


def focal_of(country: str) -> Actor:
    return Actor(name=f"{country.lower()}.focal", role=Role.FOCAL_POINT, country=country)


def head_of(country: str) -> Actor:
    return Actor(name=f"{country.lower()}.head", role=Role.HEAD_OF_ADMINISTRATION, country=country)


class PlanDriver:
    def __init__(self, client: Client, task_queue: str, plan_id: str) -> None:
        self.client = client
        self.task_queue = task_queue
        self.plan_id = plan_id
        self.focal = focal_of(plan_id[:3])
        self.head = head_of(plan_id[:3])

    async def send(self, actor: Actor, **command: Any) -> CommandResult:
        return await dispatch(
            self.client, self.task_queue, self.plan_id, parse_command(command), actor
        )

    async def open(self, start: date, end: date, **extra: Any) -> CommandResult:
        return await self.send(
            MANAGER,
            type="open_plan",
            country=self.plan_id[:3],
            administration="Ghana Revenue Authority - Customs Division",
            title="Integrity action plan",
            period_start=start.isoformat(),
            period_end=end.isoformat(),
            **extra,
        )

    async def diagnose(self) -> None:
        for factor in KeyFactor:
            await self.send(
                self.focal,
                type="record_diagnostic_finding",
                key_factor=factor.value,
                maturity=3,
                summary=f"Findings on {factor.value}",
            )
        await self.send(self.focal, type="complete_diagnostic")

    async def draft(self, due: date, *, milestones: int = 1) -> None:
        for n in range(1, milestones + 1):
            await self.send(
                self.focal,
                type="add_milestone",
                milestone_id=f"M{n}",
                title=f"Publish the code of conduct, part {n}",
                key_factor="code_of_conduct",
                due_date=due.isoformat(),
            )
        await self.send(
            self.focal,
            type="define_indicator",
            indicator_id="I1",
            name="Staff trained on the code of conduct",
            key_factor="code_of_conduct",
            unit="percent",
            baseline=10,
            target=90,
        )

    async def approve(self) -> CommandResult:
        await self.send(self.focal, type="submit_for_approval")
        await self.send(self.head, type="approve_plan", comment="Agreed for the administration")
        return await self.send(MANAGER, type="approve_plan", comment="Agreed for the WCO")
