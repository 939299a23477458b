"""Format 3 (acip-report/3): the annex written as XML (reports.xlsx) holds what openpyxl's
annex of formats 1 and 2 holds, cell for cell, read back with openpyxl; formats 1 and 2
still render with openpyxl; the programme narrative groups the plans by region and country.
"""

from __future__ import annotations

import io
import math
from datetime import UTC, date, datetime
from typing import Any

import openpyxl
import pytest

from domain import PlanState, evolve, key_factor_status, parse_event
from domain.regions import Region, region_of
from locales.terms import term
from reports import PlanPin, PlanSnapshot, ReportPeriod, ReportRequest, ReportScope
from reports.annex import build_annex, build_annex_xml
from reports.bundle import (
    ANNEX,
    FORMAT,
    FORMAT_V1,
    FORMAT_V2,
    NARRATIVE_HTML,
    build_bundle,
    build_manifest,
    read_bundle,
    render_files,
)
from reports.model import ScopeKind
from reports.narrative import programme_groups
from reports.xlsx import Sheet, Style, workbook_bytes
from testkit.long_history import long_plan_history
from testkit.synthetic import plan_history

AS_OF = datetime(2026, 12, 2, 8, 30, 15, 250_000, tzinfo=UTC)


def request(language: str = "en", kind: ScopeKind = ScopeKind.PROGRAMME) -> ReportRequest:
    return ReportRequest(
        report_id="r-format-3",
        scope=ReportScope(kind=kind, donor="norad" if kind is ScopeKind.DONOR else None),
        period=ReportPeriod(start=date(2015, 1, 1), end=date(2015, 12, 31)),
        as_of=AS_OF,
        language=language,
    )


def folded(appends: list[Any]) -> PlanState:
    state = None
    for append in appends:
        for event in append.events:
            state = evolve(state, parse_event(event.type, event.data, event.schema_version))
    assert state is not None
    return state


def snapshot_of(state: PlanState) -> PlanSnapshot:
    pin = PlanPin(plan_id=state.plan_id, version=state.version, head_hash="cd" * 32)
    return PlanSnapshot(pin=pin, state=state, benchmarks=list(key_factor_status(state).values()))


@pytest.fixture(scope="module")
def snapshots() -> list[PlanSnapshot]:
    """Ten-year plans (milestones over the years, quarterly measurements) and two-year ones,
    made by the domain's rules."""
    states = [folded(long_plan_history(i, seed=7, years=10)) for i in range(4)]
    states += [folded(plan_history(i, seed=7)) for i in range(40, 44)]
    return [snapshot_of(s) for s in sorted(states, key=lambda s: s.plan_id)]


def same_value(old: Any, new: Any) -> bool:
    # openpyxl writes floats with 16 significant digits, reports.xlsx with repr (exact).
    if isinstance(old, float) and isinstance(new, float):
        return math.isclose(old, new, rel_tol=1e-15, abs_tol=1e-15)
    return (None if old == "" else old) == new


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_xml_annex_holds_what_the_openpyxl_annex_holds(
    snapshots: list[PlanSnapshot], language: str
) -> None:
    old = openpyxl.load_workbook(io.BytesIO(build_annex(request(language), snapshots)))
    new = openpyxl.load_workbook(io.BytesIO(build_annex_xml(request(language), snapshots)))
    assert new.sheetnames == old.sheetnames
    assert new.sheetnames[1:] == [s.pin.plan_id for s in snapshots]
    numbers = dates = 0
    for name in old.sheetnames:
        before, after = old[name], new[name]
        assert after.max_row == before.max_row, name
        assert after.freeze_panes == before.freeze_panes == "A4"
        assert after.print_title_rows == before.print_title_rows == "$1:$3"
        assert after.page_setup.orientation == "landscape"
        assert (after.page_setup.fitToWidth, after.page_setup.fitToHeight) == (1, 0)
        assert after.sheet_properties.pageSetUpPr.fitToPage
        for column, dimension in before.column_dimensions.items():
            assert after.column_dimensions[column].width == dimension.width, (name, column)
        for old_row, new_row in zip(before.iter_rows(), after.iter_rows(), strict=True):
            for was, cell in zip(old_row, new_row, strict=True):
                assert same_value(was.value, cell.value), (name, cell.coordinate)
                if was.value not in (None, ""):
                    assert cell.number_format == was.number_format, (name, cell.coordinate)
                    assert cell.font.b == was.font.b and cell.alignment.wrap_text == (
                        was.alignment.wrap_text
                    )
                numbers += type(cell.value) in (int, float)
                dates += isinstance(cell.value, datetime)
    assert numbers > 400 and dates > 200  # numbers as numbers, dates as dates
    assert new.properties.created == new.properties.modified == datetime(2026, 12, 2, 8, 30, 15)
    assert new.properties.creator == "acip"


def test_a_ten_year_plan_sheet_reads_back_with_its_numbers(
    snapshots: list[PlanSnapshot],
) -> None:
    snapshot = next(s for s in snapshots if len(s.state.milestones) > 20)
    workbook = openpyxl.load_workbook(io.BytesIO(render_files(request(), snapshots)[ANNEX]))
    sheet = workbook[snapshot.pin.plan_id]
    header = [c.value for c in sheet[3]]
    benchmarks = {i.indicator_id: i for kf in snapshot.benchmarks for i in kf.indicators}
    indicators = sorted(snapshot.state.indicators)
    for offset, indicator_id in enumerate(indicators):
        row = {h: c.value for h, c in zip(header, sheet[4 + offset], strict=True)}
        indicator, benchmark = snapshot.state.indicators[indicator_id], benchmarks[indicator_id]
        assert row["Indicator"] == indicator_id
        assert row["Baseline"] == indicator.baseline and row["Target"] == indicator.target
        assert row["Actual at period end"] == benchmark.latest_value
        assert benchmark.latest_measured_on is not None
        assert row["Measured on"] == datetime.combine(
            benchmark.latest_measured_on, datetime.min.time()
        )
        assert row["Progress"] == pytest.approx(benchmark.progress)
        assert sheet.cell(4 + offset, 12).number_format == "0%"
    milestone_row = 4 + len(indicators) + 1
    assert sheet.cell(milestone_row, 1).value == "Milestone"
    milestones = sorted(snapshot.state.milestones)
    assert sheet.max_row == milestone_row + len(milestones)
    first = snapshot.state.milestones[milestones[0]]
    assert sheet.cell(milestone_row + 1, 4).value == datetime.combine(
        first.due_date, datetime.min.time()
    )
    assert sheet.cell(milestone_row + 1, 4).number_format == "yyyy-mm-dd"


def test_cells_of_every_kind_and_text_that_needs_escaping() -> None:
    sheet = Sheet("Plan's 'sheet'", [10, 20], header_row=1)
    sheet.append(['<Title> & "more"', "tab\there"], style=Style.HEADER)
    sheet.append(["bell\x07dropped", 3, 2.5, True, date(2026, 3, 1), None, "", float("inf")])
    sheet.append([datetime(2026, 3, 1, 12, 0), 0.25], {1: Style.DATE, 2: Style.PERCENT})
    sheet.append([])
    data = workbook_bytes([sheet], creator="acip", created=datetime(2026, 1, 2, 3, 4, 5))
    assert data == workbook_bytes([sheet], creator="acip", created=datetime(2026, 1, 2, 3, 4, 5))
    read = openpyxl.load_workbook(io.BytesIO(data))["Plan's 'sheet'"]
    assert [c.value for c in read[1]][:2] == ['<Title> & "more"', "tab\there"]
    assert read["A1"].font.b and read["A1"].fill.fgColor.rgb == "00DDE3EA"
    values = [c.value for c in read[2]]
    # A date is its serial day; without a date style it reads back as that number.
    assert values[:5] == ["belldropped", 3, 2.5, True, (date(2026, 3, 1) - date(1899, 12, 30)).days]
    assert values[5:] == [None, None, "inf"]
    assert read["A3"].value == datetime(2026, 3, 1, 12, 0)
    assert read["A3"].number_format == "yyyy-mm-dd" and read["B3"].number_format == "0%"
    assert read.max_row == 3 and read.print_title_rows == "$1:$1" and read.freeze_panes == "A2"


def test_formats_1_and_2_still_render_with_openpyxl(snapshots: list[PlanSnapshot]) -> None:
    for format in (FORMAT_V1, FORMAT_V2):
        files = render_files(request(), snapshots, format)
        assert files[ANNEX] == build_annex(request(), snapshots), format
    second = render_files(request(), snapshots, FORMAT_V2)[NARRATIVE_HTML].decode()
    assert "Key factors by country" not in second and "<td>on track</td>" not in second
    assert render_files(request(), snapshots, FORMAT_V1) != render_files(request(), snapshots)


def test_a_format_3_bundle_reads_and_stores_what_is_compressed(
    snapshots: list[PlanSnapshot],
) -> None:
    files = render_files(request(), snapshots)
    manifest = build_manifest(request(), [s.pin for s in snapshots], files, None)
    assert manifest["format"] == FORMAT == "acip-report/3"
    opened = read_bundle(build_bundle(manifest, files))
    assert opened.files == files and opened.manifest == manifest


def test_the_programme_narrative_groups_plans_by_region_and_country(
    snapshots: list[PlanSnapshot],
) -> None:
    regions, countries = programme_groups(snapshots, "en")
    assert [c.name for c in countries] == sorted({s.state.country for s in snapshots})
    assert sum(c.plans for c in countries) == sum(r.plans for r in regions) == len(snapshots)
    named = {region_of(s.state.country) for s in snapshots}
    expected = [term(r.value, "en") for r in Region if r in named]
    assert [r.name for r in regions] == expected + (["Not a WCO member"] if None in named else [])
    for group in countries:
        for shares in group.shares.values():
            assert sum(share for _, share in shares) == pytest.approx(100, abs=0.05)
    html = render_files(request(), snapshots)[NARRATIVE_HTML].decode()
    assert "Key factors by WCO region" in html and "Key factors by country" in html
    assert all(f"<td>{s.pin.plan_id}</td>" in html for s in snapshots)
    assert '<section class="plan">' not in html
    french = render_files(request("fr"), snapshots)[NARRATIVE_HTML].decode()
    assert "Facteurs clés par pays" in french


def test_a_single_plan_report_keeps_its_section(snapshots: list[PlanSnapshot]) -> None:
    one = ReportRequest(
        report_id="r-plan",
        scope=ReportScope(kind=ScopeKind.PLAN, plan_id=snapshots[0].pin.plan_id),
        period=ReportPeriod(start=date(2015, 1, 1), end=date(2015, 12, 31)),
        as_of=AS_OF,
    )
    html = render_files(one, snapshots[:1])[NARRATIVE_HTML].decode()
    assert html.count('<section class="plan">') == 1
    assert render_files(one, snapshots[:1], FORMAT_V2)[NARRATIVE_HTML].decode() == html
