"""Report formats: a programme report of the current format (acip-report/3: the annex
written as XML, the programme narrative) verifies; ones issued with the first format's
generator (a section per plan) and the second's (openpyxl's annex, the summary narrative)
still verify with theirs; tampering with any fails, naming the file."""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
from typer.testing import CliRunner, Result

from api.reporting import issue_report, pin_plans
from domain import Actor, Role
from eventstore import PostgresEventStore
from reports import ReportPeriod, ReportRequest, ReportScope, read_bundle
from reports.bundle import ANNEX, FORMAT, FORMAT_V1, FORMAT_V2, NARRATIVE_HTML
from reports.model import ScopeKind
from tests.support.api_stack import API_YEAR, Stack, api_plan, stack_fixture
from tests.support.ids import unique_country
from tests.support.plans import Stage
from workers.cli import app

COUNTRIES = [unique_country(year=API_YEAR) for _ in range(2)]
PERIOD = {"period_start": "2026-01-01", "period_end": "2026-12-31"}
MANAGER = Actor(name="manager", role=Role.PROGRAMME_MANAGER)
runner = CliRunner()


async def prepared(stack: Stack) -> None:
    await stack.add_users("manager")
    for country in COUNTRIES:
        await stack.add_users(f"{country}.focal", f"{country}.head", country=country)
        flow = api_plan(stack, country, focal=f"{country}.focal", head=f"{country}.head")
        await flow.advance(Stage.IMPLEMENTATION)
    await stack.settle()


stack = stack_fixture(prepared)


def verify_cli(database_url: str, path: Path) -> Result:
    env = {"ACIP_DATABASE_URL": database_url, "ACIP_LOG_LEVEL": "warning"}
    return runner.invoke(app, ["report", "verify", str(path)], env=env)


def tampered_copy(bundle: bytes, name: str, path: Path) -> Path:
    """The bundle with one member's bytes changed, its manifest untouched."""
    with zipfile.ZipFile(io.BytesIO(bundle)) as source, zipfile.ZipFile(path, "w") as target:
        for member in source.namelist():
            content = source.read(member)
            target.writestr(member, content + b"<!-- edited -->" if member == name else content)
    return path


async def issued_with(stack: Stack, report_id: str, format: str) -> bytes:
    store = PostgresEventStore(stack.pool)
    as_of = datetime.now(UTC)
    request = ReportRequest(
        report_id=report_id,
        scope=ReportScope(kind=ScopeKind.PROGRAMME),
        period=ReportPeriod(start=date(2026, 1, 1), end=date(2026, 12, 31)),
        as_of=as_of,
        language="en",
    )
    pins = await pin_plans(stack.pool, store, as_of, None)
    issued = await issue_report(stack.pool, store, request, pins, MANAGER, format)
    return issued.bundle


async def test_a_programme_report_has_the_programme_narrative_and_verifies(
    stack: Stack, database_url: str, tmp_path: Path
) -> None:
    async with stack.http("manager") as http:
        answer = await http.post("/reports", json={"scope": "programme", **PERIOD})
    assert answer.status_code == 200, answer.text
    opened = read_bundle(answer.content)
    assert opened.manifest["format"] == FORMAT == "acip-report/3"
    html = opened.files[NARRATIVE_HTML].decode()
    plan_ids = [p["plan_id"] for p in opened.manifest["plans"]]
    assert {f"{c}-2026" for c in COUNTRIES} <= set(plan_ids)
    # The summary, a chart per region, a bar per country and key factor, a cell per plan and
    # key factor; no section per plan.
    assert '<section class="plan">' not in html
    assert "Key factors across the plans" in html and "Key factors by country" in html
    assert html.count("<svg") == 1 + html.count("<figure>")
    assert f"{len(plan_ids)} plans in this report." in html
    assert all(f"<td>{plan_id}</td>" in html for plan_id in plan_ids)
    # The per-plan detail stays in the annex: a sheet per plan, its numbers as numbers.
    workbook = openpyxl.load_workbook(io.BytesIO(opened.files[ANNEX]))
    assert set(plan_ids) <= set(workbook.sheetnames)
    summary = workbook[workbook.sheetnames[0]]
    assert [row[0].value for row in summary.iter_rows(min_row=4)] == plan_ids
    assert all(isinstance(row[6].value, int) for row in summary.iter_rows(min_row=4))
    assert all(isinstance(row[4].value, datetime) for row in summary.iter_rows(min_row=4))
    saved = tmp_path / "v3.zip"
    saved.write_bytes(answer.content)
    intact = await asyncio.to_thread(verify_cli, database_url, saved)
    assert intact.exit_code == 0, intact.output
    tampered = tampered_copy(answer.content, ANNEX, tmp_path / "v3-tampered.zip")
    differs = await asyncio.to_thread(verify_cli, database_url, tampered)
    assert differs.exit_code == 1 and ANNEX in differs.stderr, differs.output


async def test_a_first_format_report_still_verifies_with_its_generator(
    stack: Stack, database_url: str, tmp_path: Path
) -> None:
    bundle = await issued_with(stack, "0f0f0f0f0f0f0f01", FORMAT_V1)
    opened = read_bundle(bundle)
    assert opened.manifest["format"] == FORMAT_V1
    # The first format: a section (and a chart) per plan, whatever the scope.
    html = opened.files[NARRATIVE_HTML].decode()
    assert html.count('<section class="plan">') == len(opened.manifest["plans"])
    saved = tmp_path / "v1.zip"
    saved.write_bytes(bundle)
    intact = await asyncio.to_thread(verify_cli, database_url, saved)
    assert intact.exit_code == 0, intact.output
    assert "intact" in intact.stdout
    tampered = tampered_copy(bundle, NARRATIVE_HTML, tmp_path / "v1-tampered.zip")
    differs = await asyncio.to_thread(verify_cli, database_url, tampered)
    assert differs.exit_code == 1 and NARRATIVE_HTML in differs.stderr, differs.output


async def test_a_second_format_report_still_verifies_with_its_generator(
    stack: Stack, database_url: str, tmp_path: Path
) -> None:
    bundle = await issued_with(stack, "0f0f0f0f0f0f0f02", FORMAT_V2)
    opened = read_bundle(bundle)
    assert opened.manifest["format"] == FORMAT_V2
    # The second format: the summary narrative (one chart, a row of words per plan) and
    # openpyxl's annex (its parts as openpyxl names them).
    html = opened.files[NARRATIVE_HTML].decode()
    assert html.count("<svg") == 1 and "Key factors by country" not in html
    with zipfile.ZipFile(io.BytesIO(opened.files[ANNEX])) as annex:
        assert "xl/theme/theme1.xml" in annex.namelist()  # openpyxl writes a theme
    saved = tmp_path / "v2.zip"
    saved.write_bytes(bundle)
    intact = await asyncio.to_thread(verify_cli, database_url, saved)
    assert intact.exit_code == 0, intact.output
    tampered = tampered_copy(bundle, ANNEX, tmp_path / "v2-tampered.zip")
    differs = await asyncio.to_thread(verify_cli, database_url, tampered)
    assert differs.exit_code == 1 and ANNEX in differs.stderr, differs.output
