"""`acip plans|command|milestones|benchmarks` as a user runs them, against a served API."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import pytest

from tests.e2e.served_stack import Served, free_port
from tests.integration.conftest import dev_env  # noqa: F401 (a fixture of this module too)
from tests.support.ids import unique_country

pytestmark = pytest.mark.e2e


async def acip(
    site: Served, user: str | None, *args: str, url: str | None = None
) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACIP_")}
    env["ACIP_API_URL"] = url or site.url
    if user:
        env["ACIP_TOKEN"] = site.tokens[user]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "workers.cli", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def parsed(out: str) -> Any:
    return json.loads(out)


async def test_reads_as_tables_and_as_json(site: Served) -> None:
    results = await asyncio.gather(
        acip(site, "wco.manager", "plans", "list", "--json"),
        acip(site, "gha.focal", "plans", "list"),
        acip(site, "wco.auditor", "plans", "show", "GHA-2026"),
        acip(site, "wco.auditor", "plans", "events", "GHA-2026", "--json"),
        acip(site, "wco.manager", "milestones", "overdue"),
        acip(site, "donor.observer", "benchmarks", "GHA-2026"),
        acip(site, "wco.auditor", "plans", "show", "GHA-2026", "--as-of-version", "1", "--json"),
    )
    assert all(status == 0 for status, _, _ in results), results
    listing, focal, show, events, overdue, benchmarks, replay = (out for _, out, _ in results)
    ids = [p["plan_id"] for p in parsed(listing)["plans"]]
    assert {"GHA-2026", "KEN-2026", "TZA-2026"} <= set(ids)
    assert "GHA-2026" in focal and "KEN-2026" not in focal
    assert "implementation" in show
    stored = parsed(events)["events"]
    assert stored[0]["type"] == "plan_opened" and len(stored[0]["hash"]) == 64
    assert "Publish tariff rulings online" in overdue
    assert "transparency" in benchmarks and "off_track" in benchmarks
    assert parsed(replay)["phase"] == "diagnostic"


async def test_commands_with_fields_or_json(site: Served) -> None:
    country = unique_country(year=2027)
    plan_id = f"{country}-2027"
    status, out, err = await acip(
        site, "wco.manager", "command", plan_id, "open_plan",
        "--country", country, "--administration", "Customs", "--title", "Integrity plan",
        "--period-start", "2027-01-01", "--period-end=2029-12-31",
    )  # fmt: skip
    assert status == 0, err
    assert parsed(out)["version"] == 1
    body = json.dumps({"key_factor": "transparency", "maturity": 2, "summary": "Unpublished"})
    status, out, err = await acip(
        site, "wco.manager", "command", plan_id, "record_diagnostic_finding", "--json", body
    )
    assert status == 0, err
    assert [e["type"] for e in parsed(out)["events"]] == ["diagnostic_finding_recorded"]


async def test_refusals_exit_non_zero_with_the_rule(site: Served) -> None:
    refused, not_mine, malformed, anonymous, unreachable = await asyncio.gather(
        acip(site, "gha.focal", "command", "GHA-2026", "start_evaluation"),
        acip(site, "gha.focal", "plans", "show", "KEN-2026"),
        acip(site, "gha.focal", "command", "GHA-2026", "report_milestone_progress",
             "--milestone-id", "M3", "--percent", "140", "--note", "x"),
        acip(site, None, "plans", "list"),
        acip(site, "wco.manager", "plans", "list", url=f"http://127.0.0.1:{free_port()}"),
    )  # fmt: skip
    assert refused[0] == 1 and "refused (403 not_permitted)" in refused[2]
    assert not_mine[0] == 1 and "404" in not_mine[2] and "KEN-2026" in not_mine[2]
    assert malformed[0] == 2 and "percent" in malformed[2]
    assert anonymous[0] == 3 and "ACIP_TOKEN" in anonymous[2]
    assert unreachable[0] == 4 and "cannot reach the API" in unreachable[2]


async def test_results_framework_diagnostic_and_measurements_due(site: Served) -> None:
    """The demo plan GHA-2026 as the CLI shows it: the outcome tree with targets per
    period, the diagnostic at the start, measurements due (scoped to the reader)."""
    results = await asyncio.gather(
        acip(site, "gha.focal", "results", "GHA-2026"),
        acip(site, "donor.observer", "diagnostic", "GHA-2026"),
        acip(site, "wco.manager", "measurements", "due", "--json"),
        acip(site, "gha.focal", "measurements", "due", "--plan", "GHA-2026"),
        acip(site, "gha.focal", "results", "KEN-2026"),
    )
    tree, diagnostic, due, mine, refused = results
    assert tree[0] == 0, tree
    assert "O1.1 Staff know and apply the code of conduct" in tree[1]
    assert "indicator I2 Declarations lodged electronically" in tree[1]
    assert "quarterly" in tree[1] and "targets per period" in tree[1]
    assert diagnostic[0] == 0 and "Tariff rulings are not published" in diagnostic[1]
    assert due[0] == 0
    listed = parsed(due[1])["measurements"]
    assert all(item["status"] in ("due", "overdue") for item in listed)
    assert mine[0] == 0 and "Measurements due" in mine[1]
    assert refused[0] != 0 and "KEN-2026" in refused[1] + refused[2]
