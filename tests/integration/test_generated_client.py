"""A client generated from the running API's /openapi.json drives a whole plan, from
open_plan to close_plan, and reads every read model on the way with typed results.

The client is generated at test time with openapi-python-client (a dev dependency; no
network) into a temporary folder and imported from there. It raises on any status the
document does not declare, parses every answer into its generated model (a missing field, an
unknown enum value or a malformed date fails), and each parsed answer must give back the
JSON it was parsed from: so the test fails whenever the schema and the answers disagree.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from domain import KeyFactor
from tests.support.api_stack import API_YEAR, Stack, stack_fixture
from tests.support.ids import unique_country

COUNTRY = unique_country(year=API_YEAR)
PLAN = f"{COUNTRY}-2026"
PACKAGE = "acip_generated_client"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


async def team(stack: Stack) -> None:
    await stack.add_users("manager", "auditor")
    await stack.add_users("focal", "head", country=COUNTRY)


stack = stack_fixture(team)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, stack: Stack) -> Iterator[ModuleType]:
    folder = tmp_path_factory.mktemp("client")
    document = folder / "openapi.json"
    document.write_text(json.dumps(stack.app.openapi()))
    config = folder / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run: the code is only imported
    subprocess.run(
        [str(GENERATOR), "generate", "--path", str(document), "--meta", "none",
         "--output-path", str(folder / PACKAGE), "--config", str(config)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def same_json(parsed: Any, raw: Any) -> bool:
    """The generated model's to_dict() against the wire JSON: equal, but instants compared
    as instants (the generator writes +00:00 where the server writes Z)."""
    if isinstance(parsed, dict) and isinstance(raw, dict):
        return parsed.keys() == raw.keys() and all(same_json(parsed[k], raw[k]) for k in raw)
    if isinstance(parsed, list) and isinstance(raw, list):
        return len(parsed) == len(raw) and all(map(same_json, parsed, raw))
    if isinstance(parsed, str) and isinstance(raw, str) and ISO_INSTANT.match(raw):
        return datetime.fromisoformat(parsed) == datetime.fromisoformat(raw)
    return bool(parsed == raw)


class Typed:
    """Calls the generated functions as one user and checks every answer's parse."""

    def __init__(self, stack: Stack, client_module: ModuleType, user: str) -> None:
        self.module = client_module
        self.client = client_module.AuthenticatedClient(
            base_url="http://acip.test", token=stack.tokens[user], raise_on_unexpected_status=True
        )
        self.client.set_async_httpx_client(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=stack.app),
                base_url="http://acip.test",
                headers={"Authorization": f"Bearer {stack.tokens[user]}"},
            )
        )
        self.models = importlib.import_module(f"{PACKAGE}.models")

    async def call(self, group: str, operation: str, expect: str, **kwargs: Any) -> Any:
        module = importlib.import_module(f"{PACKAGE}.api.{group}.{operation}")
        response = await module.asyncio_detailed(client=self.client, **kwargs)
        refusal = expect == "ErrorBody"
        assert (response.status_code >= 400) is refusal, (operation, response.content)
        parsed = response.parsed
        assert type(parsed).__name__ == expect, (operation, type(parsed), response.content)
        assert same_json(parsed.to_dict(), json.loads(response.content)), operation
        return parsed

    async def command(self, model: str, **fields: Any) -> Any:
        body = getattr(self.models, model).from_dict(fields)
        return await self.call("commands", "send_command", "CommandResult", plan_id=PLAN, body=body)


async def settled(stack: Stack, as_user: Typed, version: int) -> Any:
    """The summary once the projector has applied the command that made ``version``."""
    await stack.settle()
    summary = await as_user.call("reads", "get_plan", "PlanSummary", plan_id=PLAN)
    assert summary.version == version
    return summary


async def read_everything(manager: Typed, auditor: Typed) -> None:
    """Every read model and list, each parsed into its generated type."""
    plans = await manager.call("reads", "list_plans", "PlanList", limit=500)
    assert PLAN in [p.plan_id for p in plans.plans]
    await manager.call("reads", "plan_milestones", "PlanMilestones", plan_id=PLAN)
    await manager.call("reads", "plan_indicators", "PlanIndicators", plan_id=PLAN)
    benchmarks = await manager.call("reads", "plan_benchmarks", "PlanBenchmarks", plan_id=PLAN)
    assert [k.key_factor.value for k in benchmarks.key_factors] == [k.value for k in KeyFactor]
    await manager.call("reads", "plan_audit", "AuditPage", plan_id=PLAN)
    await manager.call("reads", "plan_events", "PlanEvents", plan_id=PLAN)
    await manager.call("reads", "get_plan", "ReplayedPlan", plan_id=PLAN, as_of_version=2)
    await manager.call("reads", "overdue", "OverdueList")
    grid = await manager.call("reads", "get_portfolio", "Portfolio", limit=500)
    assert PLAN in [p.plan_id for p in grid.plans] and grid.total >= 1
    await manager.call("reads", "get_plan_trend", "PlanTrend", plan_id=PLAN)
    await manager.call("reads", "list_notifications", "NotificationList", plan_id=PLAN)
    await auditor.call("reads", "verify", "Verification")
    await auditor.call("reads", "verify", "Verification", plan_id=PLAN)
    await auditor.call("audit", "keys", "SigningKeys")
    await auditor.call("audit", "checkpoints", "Checkpoints")
    await auditor.call("audit", "attempts", "RefusedAttempts", plan_id=PLAN)
    await auditor.call("feed", "events_feed", "FeedPage", limit=1000)


async def test_a_generated_client_runs_a_whole_plan_with_typed_answers(
    stack: Stack, generated: ModuleType
) -> None:
    manager, auditor = Typed(stack, generated, "manager"), Typed(stack, generated, "auditor")
    focal, head = Typed(stack, generated, "focal"), Typed(stack, generated, "head")
    models = manager.models
    opening = models.OpenPlan.from_dict(
        {"type": "open_plan", "country": COUNTRY, "administration": f"Customs of {COUNTRY}",
         "title": "Integrity action plan", "period_start": "2026-01-01",
         "period_end": "2028-12-31"}
    )  # fmt: skip
    opened = await manager.call("commands", "open_plan", "PlanOpened", body=opening)
    assert (opened.plan_id, opened.version) == (PLAN, 1)
    summary = await settled(stack, manager, 1)
    assert summary.phase.value == "diagnostic"
    for factor in KeyFactor:
        await focal.command(
            "RecordDiagnosticFinding", type="record_diagnostic_finding",
            key_factor=factor.value, maturity=2, summary=f"About {factor.label}",
        )  # fmt: skip
    await focal.command("CompleteDiagnostic", type="complete_diagnostic")
    await focal.command(
        "AddMilestone", type="add_milestone", milestone_id="M1",
        title="Publish the code of conduct", key_factor="code_of_conduct",
        due_date="2027-06-30",
    )  # fmt: skip
    await focal.command(
        "DefineIndicator", type="define_indicator", indicator_id="I1", name="Staff trained",
        key_factor="code_of_conduct", unit="percent", baseline=10, target=90,
    )  # fmt: skip
    await focal.command("SubmitForApproval", type="submit_for_approval")
    await head.command("ApprovePlan", type="approve_plan", comment="Agreed")
    approved = await manager.command("ApprovePlan", type="approve_plan", comment="For the WCO")
    summary = await settled(stack, manager, approved.version)
    assert summary.phase.value == "implementation"
    assert {a.role.value for a in summary.approvals} == {"head_of_administration",
                                                          "programme_manager"}  # fmt: skip
    refused = await focal.call(  # a refused attempt, so the auditor's read has one to type
        "commands", "send_command", "ErrorBody", plan_id=PLAN,
        body=models.StartEvaluation.from_dict({"type": "start_evaluation"}),
    )  # fmt: skip
    assert refused.rule == "not_permitted"
    await focal.command(
        "ReportMilestoneProgress", type="report_milestone_progress", milestone_id="M1",
        percent=50, note="Draft circulated",
    )  # fmt: skip
    await focal.command(
        "RecordMeasurement", type="record_measurement", indicator_id="I1", value=55,
        measured_on="2026-06-30",
    )  # fmt: skip
    await focal.command(
        "CompleteMilestone", type="complete_milestone", milestone_id="M1",
        evidence="Circular 2026/14",
    )  # fmt: skip
    evaluating = await manager.command("StartEvaluation", type="start_evaluation")
    await settled(stack, manager, evaluating.version)
    await read_everything(manager, auditor)
    await manager.command(
        "RateKeyFactor", type="rate_key_factor", key_factor="code_of_conduct",
        rating="achieved", note="Code adopted",
    )  # fmt: skip
    closed = await manager.command("ClosePlan", type="close_plan", summary="Delivered")
    summary = await settled(stack, manager, closed.version)
    assert summary.phase.value == "closed"
    await read_everything(manager, auditor)
    indicators = await manager.call("reads", "plan_indicators", "PlanIndicators", plan_id=PLAN)
    assert indicators.indicators[0].measurements[0].value == 55
    assert indicators.indicators[0].status.value in ("on_track", "achieved", "at_risk")
