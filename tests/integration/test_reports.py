"""Issuing a donor report through the API and verifying it later with `acip report verify`:
numbers against the API's benchmarks as of the instant, new events, tampering, bad input."""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner, Result

from reports import read_bundle
from reports.bundle import ANNEX, MANIFEST, NARRATIVE_HTML, NARRATIVE_PDF
from reports.narrative import chromium_path
from tests.support.api_stack import API_YEAR, ApiPlan, Stack, api_plan, stack_fixture
from tests.support.ids import unique_country
from tests.support.plans import Stage
from workers.cli import app

COUNTRY = unique_country(year=API_YEAR)
PERIOD = {"period_start": "2026-01-01", "period_end": "2026-12-31"}
BACKWARDS = {"period_start": "2026-12-31", "period_end": "2026-01-01"}
NOT_STARTED = {"period_start": "2999-01-01", "period_end": "2999-12-31"}
runner = CliRunner()


async def prepared(stack: Stack) -> None:
    await stack.add_users("manager", "auditor", "observer")
    await stack.add_users(f"{COUNTRY}.focal", f"{COUNTRY}.head", country=COUNTRY)
    flow = plan_of(stack)
    await flow.advance(Stage.IMPLEMENTATION)
    await flow.ok(
        flow.focal, type="record_measurement", indicator_id="I1", value=30,
        measured_on="2026-06-30", source="HR records",
    )  # fmt: skip
    await flow.ok("manager", type="set_plan_donors", donors=["norad"], reason="Norad grant")
    await stack.settle()


stack = stack_fixture(prepared)


def plan_of(stack: Stack) -> ApiPlan:
    return api_plan(stack, COUNTRY, focal=f"{COUNTRY}.focal", head=f"{COUNTRY}.head")


async def issue(stack: Stack, **body: Any) -> tuple[int, bytes, dict[str, str]]:
    async with stack.http("manager") as http:
        response = await http.post("/reports", json=body)
    return response.status_code, response.content, dict(response.headers)


def verify_cli(database_url: str, path: Path) -> Result:
    env = {"ACIP_DATABASE_URL": database_url, "ACIP_LOG_LEVEL": "warning"}
    return runner.invoke(app, ["report", "verify", str(path)], env=env)


async def test_report_numbers_are_the_apis_and_verify_later(
    stack: Stack, database_url: str, tmp_path: Path
) -> None:
    plan_id = f"{COUNTRY}-2026"
    status, bundle, headers = await issue(stack, scope="plan", plan_id=plan_id, **PERIOD)
    assert status == 200, bundle
    assert headers["content-type"] == "application/zip"
    opened = read_bundle(bundle)
    manifest = opened.manifest
    assert headers["x-manifest-sha256"] == opened.manifest_sha256
    assert [p["plan_id"] for p in manifest["plans"]] == [plan_id]
    assert {f["name"] for f in manifest["files"]} >= {ANNEX, NARRATIVE_HTML}
    if chromium_path().exists():  # printed by headless Chromium; else the manifest says why
        assert opened.files[NARRATIVE_PDF].startswith(b"%PDF-")
    else:
        assert "chromium" in manifest["pdf_missing"]

    # The annex against the API's replay of the plan as of the report's instant.
    async with stack.http("auditor") as http:
        replay = (await http.get(f"/plans/{plan_id}", params={"as_of": manifest["as_of"]})).json()
    indicators = {i["indicator_id"]: i for kf in replay["benchmarks"] for i in kf["indicators"]}
    sheet = openpyxl.load_workbook(io.BytesIO(opened.files[ANNEX]))[plan_id]
    header = [c.value for c in sheet[3]]
    row = {h: c.value for h, c in zip(header, sheet[4], strict=True)}
    expected = indicators[row["Indicator"]]
    assert row["Baseline"] == expected["baseline"] == 10
    assert row["Target"] == expected["target"] == 90
    assert row["Actual at period end"] == expected["latest_value"] == 30
    assert row["Progress"] == pytest.approx(expected["progress"])
    assert row["Expected"] == pytest.approx(expected["expected"])
    assert row["Status"] == expected["status"]
    assert row["Comment"].startswith("HR records")

    saved = tmp_path / "report.zip"
    saved.write_bytes(bundle)
    intact = await asyncio.to_thread(verify_cli, database_url, saved)
    assert intact.exit_code == 0, intact.output
    assert "intact" in intact.stdout

    # New events after the instant change nothing the report pinned.
    flow = plan_of(stack)
    await flow.ok(
        flow.focal, type="record_measurement", indicator_id="I1", value=80,
        measured_on="2026-07-31",
    )  # fmt: skip
    again = await asyncio.to_thread(verify_cli, database_url, saved)
    assert again.exit_code == 0, again.output

    # The dashboard's list recomputes it too.
    async with stack.http("auditor") as http:
        listed = (await http.get("/reports")).json()["reports"]
    mine = next(r for r in listed if r["report_id"] == manifest["report_id"])
    assert mine["verification"]["ok"] is True, mine

    # A file changed after issue is named.
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as archive:
        for name, content in opened.files.items():
            if name == NARRATIVE_HTML:
                content = content.replace(b"on track", b"achieved").replace(b"at risk", b"ok")
                content += b"<!-- edited -->"
            archive.writestr(name, content)
        archive.writestr(MANIFEST, bundle_member(bundle, MANIFEST))
    differs = await asyncio.to_thread(verify_cli, database_url, tampered)
    assert differs.exit_code == 1, differs.output
    assert NARRATIVE_HTML in differs.stderr


def bundle_member(bundle: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        return archive.read(name)


async def test_programme_report_covers_every_plan(stack: Stack) -> None:
    status, bundle, _ = await issue(stack, scope="programme", **PERIOD)
    assert status == 200, bundle
    opened = read_bundle(bundle)
    workbook = openpyxl.load_workbook(io.BytesIO(opened.files[ANNEX]))
    assert workbook.sheetnames[0] == "Summary"
    assert f"{COUNTRY}-2026" in workbook.sheetnames


async def test_donor_report_holds_the_plans_that_donor_funds(stack: Stack) -> None:
    status, bundle, _ = await issue(stack, scope="donor", donor="norad", **PERIOD)
    assert status == 200, bundle
    opened = read_bundle(bundle)
    assert f"{COUNTRY}-2026" in [p["plan_id"] for p in opened.manifest["plans"]]
    sheet = openpyxl.load_workbook(io.BytesIO(opened.files[ANNEX]))["Summary"]
    assert "funded by norad" in str(sheet["A1"].value)
    status, body, _ = await issue(stack, scope="donor", donor="nobody_funds", **PERIOD)
    assert status == 404, body


async def test_unreadable_and_unknown_reports(database_url: str, tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    unreadable = await asyncio.to_thread(verify_cli, database_url, junk)
    assert unreadable.exit_code == 2 and "Traceback" not in unreadable.output
    stranger = tmp_path / "stranger.zip"
    with zipfile.ZipFile(stranger, "w") as archive:
        archive.writestr(MANIFEST, b'{"format": "acip-report/1", "report_id": "0123456789abcdef"}')
    unknown = await asyncio.to_thread(verify_cli, database_url, stranger)
    assert unknown.exit_code == 3, unknown.output


@pytest.mark.parametrize(
    ("user", "body", "status"),
    [
        ("observer", {"scope": "programme", **PERIOD}, 403),
        ("manager", {"scope": "plan", **PERIOD}, 422),
        ("manager", {"scope": "donor", "donor": "Not A Code", **PERIOD}, 422),
        ("manager", {"scope": "programme", **BACKWARDS}, 422),
        ("manager", {"scope": "plan", "plan_id": "ZZZ-1999", **PERIOD}, 404),
        ("manager", {"scope": "programme", **NOT_STARTED}, 422),
    ],
)
async def test_bad_issues_are_refused_and_record_nothing(
    stack: Stack, user: str, body: dict[str, Any], status: int
) -> None:
    async with stack.http(user) as http:
        before = await count_reports(stack)
        response = await http.post("/reports", json=body)
        assert response.status_code == status, response.text
        assert "error" in response.json()
    assert await count_reports(stack) == before


async def count_reports(stack: Stack) -> int:
    async with stack.http("manager") as http:
        return len((await http.get("/reports", params={"verify": "false"})).json()["reports"])


async def test_list_exports_match_the_apis_data(stack: Stack) -> None:
    import csv

    plan_id = f"{COUNTRY}-2026"
    async with stack.http("manager") as http:
        plans = (await http.get("/plans", params={"limit": 500})).json()["plans"]
        exported = await http.get("/exports/plans", params={"format": "csv"})
        assert exported.status_code == 200, exported.text
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert [r["plan_id"] for r in rows] == [p["plan_id"] for p in plans]
        mine = next(r for r in rows if r["plan_id"] == plan_id)
        expected = next(p for p in plans if p["plan_id"] == plan_id)
        assert int(mine["version"]) == expected["version"]
        assert mine["phase"] == expected["phase"]

        trail = (await http.get(f"/plans/{plan_id}/audit", params={"limit": 500})).json()
        workbook = await http.get(f"/plans/{plan_id}/audit/export", params={"format": "xlsx"})
        assert workbook.status_code == 200, workbook.text
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert sheet.max_row - 1 == trail["total"] == len(trail["entries"])
    versions = [
        row[header.index("version")] for row in sheet.iter_rows(min_row=2, values_only=True)
    ]
    assert versions == [e["version"] for e in trail["entries"]]  # numbers, not text
    assert sheet.freeze_panes == "A2"


@pytest.mark.parametrize(
    ("user", "path", "params", "status"),
    [
        ("observer", "/exports/notifications", {"format": "csv"}, 403),
        ("manager", "/exports/plans", {"format": "pdf"}, 422),
        ("manager", "/plans/ZZZ-1999/audit/export", {"format": "csv"}, 404),
    ],
)
async def test_export_refusals_are_the_apis(
    stack: Stack, user: str, path: str, params: dict[str, str], status: int
) -> None:
    async with stack.http(user) as http:
        response = await http.get(path, params=params)
    assert response.status_code == status, response.text
    assert "error" in response.json()


async def test_a_french_report_reads_in_french_and_reverifies(
    stack: Stack, database_url: str, tmp_path: Path
) -> None:
    plan_id = f"{COUNTRY}-2026"
    async with stack.http("manager") as http:
        response = await http.post(
            "/reports", json={"scope": "plan", "plan_id": plan_id, **PERIOD},
            headers={"Accept-Language": "fr-FR,fr;q=0.9"},
        )  # fmt: skip
    assert response.status_code == 200, response.content
    opened = read_bundle(response.content)
    assert opened.manifest["language"] == "fr"
    workbook = openpyxl.load_workbook(io.BytesIO(opened.files[ANNEX]))
    assert workbook.sheetnames[0] == "Synthèse"
    assert str(workbook["Synthèse"]["A1"].value).startswith("Cadre de résultats A-CPI : plan")
    header = [c.value for c in workbook[plan_id][3]]
    assert header[:3] == ["Indicateur", "Facteur clé", "Nom"]
    html = opened.files[NARRATIVE_HTML].decode()
    assert '<html lang="fr">' in html
    assert "Facteurs clés par plan" in html and "Leadership et engagement" in html

    saved = tmp_path / "rapport.zip"
    saved.write_bytes(response.content)
    intact = await asyncio.to_thread(verify_cli, database_url, saved)
    assert intact.exit_code == 0, intact.output
    async with stack.http("auditor") as http:
        listed = (await http.get("/reports")).json()["reports"]
    mine = next(r for r in listed if r["report_id"] == opened.manifest["report_id"])
    assert mine["verification"]["ok"] is True, mine


async def test_a_report_without_a_language_on_its_manifest_is_english() -> None:
    """Reports issued before translation carry no ``language``: they re-render in English."""
    from api.reporting import recompute

    class NoPlans:
        async def read_stream(self, *_: object, **__: object) -> list[object]:
            return []

    manifest = {
        "report_id": "0" * 16, "scope": {"kind": "programme"}, "plans": [],
        "period": {"start": "2026-01-01", "end": "2026-12-31"},
        "as_of": "2026-12-31T23:59:59.999999+00:00",
    }  # fmt: skip
    files = await recompute(NoPlans(), manifest)  # type: ignore[arg-type]
    assert b'<html lang="en">' in files[NARRATIVE_HTML]
    assert openpyxl.load_workbook(io.BytesIO(files[ANNEX])).sheetnames == ["Summary"]
