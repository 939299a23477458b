"""The report's files from hand-built snapshots: values, layout, reproducibility, tampering."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import openpyxl
import pytest

from domain import BenchmarkStatus, PlanState, key_factor_status
from reports import PlanPin, PlanSnapshot, ReportPeriod, ReportRequest, ReportScope
from reports.bundle import (
    ANNEX,
    MANIFEST,
    NARRATIVE_HTML,
    BundleUnreadableError,
    build_bundle,
    build_manifest,
    check_bundle,
    read_bundle,
    render_files,
    sha256_hex,
)
from reports.model import ScopeKind
from tests.unit.domain_builders import FP, PM, cmd, day, implementation, run

AS_OF = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
REQUEST = ReportRequest(
    report_id="r-2026",
    scope=ReportScope(kind=ScopeKind.PROGRAMME),
    period=ReportPeriod(start=date(2026, 1, 1), end=date(2026, 12, 31)),
    as_of=AS_OF,
)


def measured_plan() -> PlanState:
    """Implementation; I1 (baseline 10, target 50) measured 30 on 2026-12-31, i.e. half-way
    on the last day of the plan's first of two years: progress 0.5, expected ~0.5."""
    state = implementation()
    command = cmd("record_measurement", indicator_id="I1", value=30, measured_on="2026-12-31")
    state = run(state, command, FP, day(360))[0]
    command = cmd("complete_milestone", milestone_id="M1", evidence="Decree published")
    return run(state, command, PM, day(100))[0]


def snapshot_of(state: PlanState) -> PlanSnapshot:
    pin = PlanPin(plan_id=state.plan_id, version=state.version, head_hash="ab" * 32)
    return PlanSnapshot(pin=pin, state=state, benchmarks=list(key_factor_status(state).values()))


def test_annex_holds_numbers_as_numbers_dates_as_dates() -> None:
    snapshot = snapshot_of(measured_plan())
    files = render_files(REQUEST, [snapshot])
    workbook = openpyxl.load_workbook(io.BytesIO(files[ANNEX]))
    assert workbook.sheetnames == ["Summary", "GHA-2026"]

    summary = workbook["Summary"]
    header = [c.value for c in summary[3]]
    row = {h: c.value for h, c in zip(header, summary[4], strict=True)}
    assert row["Plan"] == "GHA-2026"
    assert row["Period start"] == datetime(2026, 1, 1)  # a date cell, not text
    assert row["Indicators"] == 1
    assert row["Indicators on track"] == 1
    assert row["Milestones due in period"] == 1
    assert row["Milestones completed in period"] == 1
    assert row["transparency"] == BenchmarkStatus.ON_TRACK.value
    assert row["automation"] == BenchmarkStatus.NOT_COVERED.value
    assert summary.freeze_panes == "A4"
    assert summary.print_title_rows == "$1:$3"
    assert summary.page_setup.fitToWidth == 1

    sheet = workbook["GHA-2026"]
    header = [c.value for c in sheet[3]]
    indicator = {h: c.value for h, c in zip(header, sheet[4], strict=True)}
    benchmark = snapshot.benchmarks[2].indicators[0]  # transparency is the third key factor
    assert indicator["Indicator"] == "I1"
    assert indicator["Baseline"] == 10.0
    assert indicator["Target"] == 50.0
    assert indicator["Actual at period end"] == 30.0
    assert indicator["Measured on"] == datetime(2026, 12, 31)
    assert indicator["Progress"] == pytest.approx(benchmark.progress)
    assert indicator["Expected"] == pytest.approx(benchmark.expected)
    assert indicator["Status"] == "on_track"
    assert sheet.cell(4, 12).number_format == "0%"
    milestone_header = [c.value for c in sheet[6]]
    assert milestone_header[0] == "Milestone"
    milestone = {h: c.value for h, c in zip(milestone_header, sheet[7], strict=False) if h}
    assert milestone["Status"] == "completed"
    assert milestone["Completed in period"] == "yes"
    assert milestone["Comment"] == "Decree published"


def test_same_snapshots_give_the_same_bytes() -> None:
    snapshots = [snapshot_of(measured_plan())]
    first = render_files(REQUEST, snapshots)
    second = render_files(REQUEST, snapshots)
    assert first == second
    manifest = build_manifest(REQUEST, [s.pin for s in snapshots], first, None)
    assert build_bundle(manifest, first) == build_bundle(manifest, second)


def test_narrative_shows_statuses_in_words_and_a_chart() -> None:
    html = render_files(REQUEST, [snapshot_of(measured_plan())])[NARRATIVE_HTML].decode()
    assert "on track" in html
    assert "<svg" in html
    assert "GHA-2026" in html


def issued() -> tuple[bytes, str, dict[str, bytes]]:
    snapshots = [snapshot_of(measured_plan())]
    files = render_files(REQUEST, snapshots)
    manifest = build_manifest(REQUEST, [s.pin for s in snapshots], files, None)
    bundle = build_bundle(manifest, files)
    return bundle, read_bundle(bundle).manifest_sha256, files


def test_an_untouched_bundle_checks_out() -> None:
    bundle, digest, files = issued()
    opened = read_bundle(bundle)
    assert opened.manifest["files"][0] == {
        "name": ANNEX,
        "sha256": sha256_hex(files[ANNEX]),
        "verified_by": "recomputed",
    }
    assert check_bundle(opened, files, digest).ok


def test_a_changed_file_is_named() -> None:
    bundle, digest, files = issued()
    opened = read_bundle(bundle)
    opened.files[NARRATIVE_HTML] = opened.files[NARRATIVE_HTML].replace(b"on track", b"achieved")
    check = check_bundle(opened, files, digest)
    assert not check.ok
    assert check.differing_files == [NARRATIVE_HTML]


def test_a_changed_record_is_caught_by_recomputation() -> None:
    bundle, digest, _ = issued()
    later = run(
        measured_plan(),
        cmd("record_measurement", indicator_id="I1", value=12, measured_on="2026-12-31"),
        FP,
        day(361),
    )[0]
    recomputed = render_files(REQUEST, [snapshot_of(later)])
    check = check_bundle(read_bundle(bundle), recomputed, digest)
    assert set(check.differing_files) == {ANNEX, NARRATIVE_HTML}


def test_a_manifest_not_issued_is_refused() -> None:
    bundle, _, files = issued()
    check = check_bundle(read_bundle(bundle), files, "0" * 64)
    assert check.differing_files == [MANIFEST]


def test_not_a_report_is_unreadable() -> None:
    with pytest.raises(BundleUnreadableError):
        read_bundle(b"not a zip")
    empty = build_bundle({"format": "other"}, {})
    with pytest.raises(BundleUnreadableError):
        read_bundle(empty)
    assert MANIFEST not in read_bundle(issued()[0]).files  # the manifest is read apart
