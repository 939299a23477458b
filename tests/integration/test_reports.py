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

from domain import Role
from domain.regions import Region, region_of
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

    # The list shows the verification stored at issue.
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


async def rows_of(http: Any, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
    response = await http.get(path, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()[key]
    return rows


def sheet_rows(content: bytes) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]] if values else []


async def test_a_donor_scoped_observer_sees_its_donors_lists_and_downloads(stack: Stack) -> None:
    plan_id = f"{COUNTRY}-2026"
    await stack.add_user("norad.lists", Role.OBSERVER, donor="norad")
    await stack.add_user("canada.lists", Role.OBSERVER, donor="canada")
    async with stack.http("manager") as http:
        funded = {p["plan_id"] for p in await rows_of(http, "/portfolio", "plans", donor="norad")}
        overdue = await rows_of(http, "/milestones/overdue", "milestones")
        due = await rows_of(http, "/measurements/due", "measurements")
    assert plan_id in funded
    async with stack.http("norad.lists") as http:
        plans = await rows_of(http, "/plans", "plans")
        assert [p["plan_id"] for p in plans] == sorted(funded)
        seen_overdue = await rows_of(http, "/milestones/overdue", "milestones")
        assert seen_overdue == [m for m in overdue if m["plan_id"] in funded]
        seen_due = await rows_of(http, "/measurements/due", "measurements")
        assert seen_due == [d for d in due if d["plan_id"] in funded]
        # The downloads are those lists: the plans as XLSX, opened by openpyxl.
        workbook = await http.get("/exports/plans", params={"format": "xlsx"})
        assert workbook.status_code == 200, workbook.text
        assert [r["plan_id"] for r in sheet_rows(workbook.content)] == sorted(funded)
        for path, expected in [
            ("/exports/milestones/overdue", seen_overdue),
            ("/exports/measurements/due", seen_due),
        ]:
            exported = await http.get(path, params={"format": "xlsx"})
            assert exported.status_code == 200, exported.text
            assert len(sheet_rows(exported.content)) == len(expected), path
    async with stack.http("canada.lists") as http:
        assert await rows_of(http, "/plans", "plans") == []
        assert await rows_of(http, "/milestones/overdue", "milestones") == []
        assert await rows_of(http, "/measurements/due", "measurements") == []


async def test_region_filter_on_plans_portfolio_and_exports(stack: Stack) -> None:
    plan_id = f"{COUNTRY}-2026"
    home = region_of(COUNTRY)
    async with stack.http("manager") as http:
        for region in Region:
            plans = await rows_of(http, "/plans", "plans", region=region.value)
            assert all(region_of(p["country"]) is region for p in plans), region
            assert (plan_id in {p["plan_id"] for p in plans}) == (region is home), region
            grid = await rows_of(http, "/portfolio", "plans", region=region.value)
            assert {p["plan_id"] for p in grid} == {p["plan_id"] for p in plans}
        if home is not None:
            exported = await http.get("/exports/plans", params={"format": "csv", "region": home})
            assert plan_id in exported.text
        bad = await http.get("/plans", params={"region": "atlantis"})
        assert bad.status_code == 422 and "region" in bad.text


async def test_portfolio_and_trend_exports_match_the_portfolio(stack: Stack) -> None:
    async with stack.http("manager") as http:
        plans = await rows_of(http, "/portfolio", "plans")
        for plan in plans:  # each plan's own trend, on demand
            plan["trend"] = (await http.get(f"/plans/{plan['plan_id']}/trend")).json()["trend"]
        grid = await http.get("/exports/portfolio", params={"format": "xlsx"})
        trend = await http.get("/exports/portfolio/trend", params={"format": "xlsx"})
    assert grid.status_code == 200 and trend.status_code == 200, (grid.text, trend.text)
    rows = sheet_rows(grid.content)
    assert [r["plan_id"] for r in rows] == [p["plan_id"] for p in plans]
    for row, plan in zip(rows, plans, strict=True):
        assert row["measurements_due"] == plan["measurements_due"]  # a number, not text
        assert {k: row[k] for k in plan["statuses"]} == plan["statuses"]
    points = sheet_rows(trend.content)
    assert len(points) == sum(len(p["trend"]) for p in plans)
    expected = [
        (p["plan_id"], point["quarter_end"], point["statuses"])
        for p in plans
        for point in p["trend"]
    ]
    got = [
        (r["plan_id"], r["quarter_end"].date().isoformat(), {k: r[k] for k in s})
        for r, (_, _, s) in zip(points, expected, strict=True)
    ]
    assert got == expected


async def test_listing_reports_shows_the_stored_verification(
    stack: Stack, database_url: str
) -> None:
    status, _, headers = await issue(stack, scope="plan", plan_id=f"{COUNTRY}-2026", **PERIOD)
    assert status == 200
    report_id = headers["x-report-id"]
    async with stack.http("auditor") as http:
        listed = (await http.get("/reports")).json()["reports"]
    issued = next(r for r in listed if r["report_id"] == report_id)["verification"]
    assert issued["ok"] is True and issued["verified_at"]
    # The list reads what is stored (a doctored row shows as such), never recomputes...
    await stack.pool.execute(
        "UPDATE report_verifications SET ok = false, problems = '[\"doctored\"]'"
        " WHERE report_id = $1",
        report_id,
    )
    async with stack.http("auditor") as http:
        listed = (await http.get("/reports")).json()["reports"]
        stored = next(r for r in listed if r["report_id"] == report_id)["verification"]
        assert (stored["ok"], stored["problems"]) == (False, ["doctored"])
        # ...until it is verified again, on demand: the record still gives the report.
        again = await http.post(f"/reports/{report_id}/verify")
        assert again.status_code == 200, again.text
        assert again.json()["verification"]["ok"] is True
        assert again.json()["verification"]["verified_at"] > issued["verified_at"]
        missing = await http.post("/reports/0123456789abcdef/verify")
        assert missing.status_code == 404
    async with stack.http(f"{COUNTRY}.focal") as http:
        refused = await http.post(f"/reports/{report_id}/verify")
        assert refused.status_code == 403
    # The background pass recomputes every report and keeps the results.
    env = {"ACIP_DATABASE_URL": database_url, "ACIP_LOG_LEVEL": "warning"}
    passed = await asyncio.to_thread(runner.invoke, app, ["report", "reverify"], env=env)
    assert passed.exit_code == 0, passed.output
    assert f"{report_id}: verifies" in passed.stdout
