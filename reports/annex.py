"""The results-framework annex: one summary sheet, one sheet per plan.

Numbers are written as numbers and dates as dates, so a donor's analyst can sum and
filter them. Format 3 (``build_annex_xml``) writes the sheets' XML directly (reports.xlsx);
formats 1 and 2 (``build_annex``) through openpyxl, kept so the reports issued with them
regenerate byte for byte. Both have the same sheets, rows, styles and print layout.

The workbook is made byte-for-byte reproducible (``deterministic_zip``, reports.xlsx): the
same snapshots give the same file, which is what lets ``acip report verify`` compare a
file's SHA-256 with one recomputed from the record years later.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from copy import copy
from datetime import UTC, date, datetime
from typing import Any
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from domain import IndicatorBenchmark, KeyFactor
from domain.state import IndicatorState, MilestoneState
from reports import text
from reports.model import PlanSnapshot, ReportRequest
from reports.xlsx import ZIP_EPOCH, Sheet, Style, workbook_bytes

DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0%"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")


def cell_text(value: Any) -> Any:
    """What people wrote may hold control characters that the xlsx format cannot store
    (openpyxl refuses them); they are dropped from the cell, the record keeps them."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


# Per workbook, each named style's ids once set on a first cell.
_STYLES: WeakKeyDictionary[Workbook, dict[str, StyleArray]] = WeakKeyDictionary()


def _style(cell: Any, name: str, apply: Callable[[Cell], None]) -> None:
    """Style ``cell`` as the workbook's first cell styled ``name`` was. openpyxl's style
    setters hash the style objects again on every cell (most of a large annex's time);
    copying the first cell's style ids gives the same ids, so the same bytes."""
    known = _STYLES.setdefault(cell.parent.parent, {})
    if name in known:
        cell._style = copy(known[name])
        return
    apply(cell)
    known[name] = copy(cell._style)


def _date_cell(cell: Cell) -> None:
    cell.number_format = DATE_FORMAT


def _percent_cell(cell: Cell) -> None:
    cell.number_format = PERCENT_FORMAT


def _header_cell(cell: Cell) -> None:
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.alignment = Alignment(wrap_text=True, vertical="top")


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    sheet.append([cell_text(value) for value in values])


def build_annex(request: ReportRequest, snapshots: Sequence[PlanSnapshot]) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None  # a new workbook always has one sheet
    summary.title = text.sheet_name(request.language)
    _write_summary(summary, request, snapshots)
    for snapshot in snapshots:
        _write_plan(workbook.create_sheet(snapshot.pin.plan_id), request, snapshot)
    # Metadata times are the report's instant, never the moment of writing.
    naive_as_of = request.as_of.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    workbook.properties.creator = "acip"
    workbook.properties.created = naive_as_of
    workbook.properties.modified = naive_as_of
    buffer = io.BytesIO()
    workbook.save(buffer)
    return deterministic_zip(buffer.getvalue(), naive_as_of)


SUMMARY_WIDTHS = [12, 8, 30, 15, 12, 12, 9] + [10] * 9 + [14] * 10
PLAN_WIDTHS = [10, 22, 30, 10, 10, 10, 10, 9, 22, 10, 12, 9, 9, 9, 11, 40]
_SUMMARY_STYLES = {5: Style.DATE, 6: Style.DATE}
_INDICATOR_STYLES = {11: Style.DATE, 12: Style.PERCENT, 13: Style.PERCENT, 14: Style.PERCENT}
_MILESTONE_STYLES = {4: Style.DATE, 5: Style.DATE, 8: Style.DATE}


def build_annex_xml(request: ReportRequest, snapshots: Sequence[PlanSnapshot]) -> bytes:
    """The annex of format 3: the same sheets and cells as ``build_annex``, written as XML."""
    language = request.language
    summary = Sheet(text.sheet_name(language), SUMMARY_WIDTHS, header_row=3)
    summary.append([text.report_title(request)])
    summary.append([text.as_of_line(request)])
    headers = text.words(language, text.SUMMARY_HEADERS) + [
        text.key_factor_label(kf, language) for kf in KeyFactor
    ]
    summary.append(headers, style=Style.HEADER)
    for snapshot in snapshots:
        summary.append(summary_row(request, snapshot), _SUMMARY_STYLES)
    sheets = [summary]
    indicator_headers = text.words(language, text.INDICATOR_HEADERS)
    milestone_headers = text.words(language, text.MILESTONE_HEADERS)
    for snapshot in snapshots:
        state = snapshot.state
        sheet = Sheet(snapshot.pin.plan_id, PLAN_WIDTHS, header_row=3)
        sheet.append([f"{state.plan_id}: {state.title}"])
        sheet.append([f"{state.administration} · {text.as_of_line(request)}"])
        sheet.append(indicator_headers, style=Style.HEADER)
        benchmarks = {i.indicator_id: i for kf in snapshot.benchmarks for i in kf.indicators}
        for indicator in sorted(state.indicators.values(), key=lambda i: i.indicator_id):
            row = indicator_row(indicator, benchmarks[indicator.indicator_id], language)
            sheet.append(row, _INDICATOR_STYLES)
        sheet.append([])
        sheet.append(milestone_headers, style=Style.HEADER)
        for milestone in sorted(state.milestones.values(), key=lambda m: m.milestone_id):
            sheet.append(milestone_row(milestone, request), _MILESTONE_STYLES)
        sheets.append(sheet)
    # Document times are the report's instant, never the moment of writing.
    as_of = request.as_of.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    return workbook_bytes(sheets, creator="acip", created=as_of)


def deterministic_zip(data: bytes, modified: datetime) -> bytes:
    """Re-pack a zip with fixed member timestamps; openpyxl stamps docProps/core.xml with
    the wall clock on save, so its modified time is set back to the report's instant."""
    stamp = modified.strftime("%Y-%m-%dT%H:%M:%SZ")
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    content,
                )
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            target.writestr(member, content)
    return output.getvalue()


def _write_summary(
    sheet: Worksheet, request: ReportRequest, snapshots: Sequence[PlanSnapshot]
) -> None:
    append_row(sheet, [text.report_title(request)])
    append_row(sheet, [text.as_of_line(request)])
    language = request.language
    headers = text.words(language, text.SUMMARY_HEADERS) + [
        text.key_factor_label(kf, language) for kf in KeyFactor
    ]
    _header(sheet, headers)
    for snapshot in snapshots:
        append_row(sheet, summary_row(request, snapshot))
        row = sheet.max_row
        for column in (5, 6):
            _style(sheet.cell(row, column), "date", _date_cell)
    _finish(sheet, header_row=3, widths=SUMMARY_WIDTHS)


def summary_row(request: ReportRequest, snapshot: PlanSnapshot) -> list[Any]:
    """One plan's line on the summary sheet; the key-factor statuses close the row."""
    state = snapshot.state
    statuses = [i.status for kf in snapshot.benchmarks for i in kf.indicators]
    milestones = list(state.milestones.values())
    return [
        state.plan_id,
        state.country,
        state.administration,
        text.phase_label(state.phase, request.language),
        state.period_start,
        state.period_end,
        snapshot.pin.version,
        len(statuses),
        *(statuses.count(s) for s in text.COUNTED_STATUSES),
        sum(request.period.contains(m.due_date) for m in milestones),
        sum(_completed_in(m, request) for m in milestones),
        sum(m.is_overdue for m in milestones),
        *(kf.status.value for kf in snapshot.benchmarks),
    ]


def _write_plan(sheet: Worksheet, request: ReportRequest, snapshot: PlanSnapshot) -> None:
    state = snapshot.state
    append_row(sheet, [f"{state.plan_id}: {state.title}"])
    append_row(sheet, [f"{state.administration} · {text.as_of_line(request)}"])
    _header(sheet, text.words(request.language, text.INDICATOR_HEADERS))
    benchmarks = {i.indicator_id: i for kf in snapshot.benchmarks for i in kf.indicators}
    for indicator in sorted(state.indicators.values(), key=lambda i: i.indicator_id):
        append_row(
            sheet, indicator_row(indicator, benchmarks[indicator.indicator_id], request.language)
        )
        row = sheet.max_row
        _style(sheet.cell(row, 11), "date", _date_cell)
        for column in (12, 13, 14):
            _style(sheet.cell(row, column), "percent", _percent_cell)
    append_row(sheet, [])
    _header(sheet, text.words(request.language, text.MILESTONE_HEADERS))
    for milestone in sorted(state.milestones.values(), key=lambda m: m.milestone_id):
        append_row(sheet, milestone_row(milestone, request))
        row = sheet.max_row
        for column in (4, 5, 8):
            _style(sheet.cell(row, column), "date", _date_cell)
    _finish(sheet, header_row=3, widths=PLAN_WIDTHS)


def indicator_row(
    indicator: IndicatorState, benchmark: IndicatorBenchmark, language: str = "en"
) -> list[Any]:
    latest = max(indicator.measurements, key=lambda m: (m.measured_on, m.recorded_at), default=None)
    comment = "" if latest is None else f"{latest.source} ({latest.recorded_by})".strip()
    return [
        indicator.indicator_id,
        text.key_factor_label(indicator.key_factor, language),
        indicator.name,
        indicator.unit,
        indicator.baseline,
        indicator.target,
        indicator.original_target,
        text.yes_no(benchmark.target_revised, language),
        text.period_targets_line(period_targets_of(indicator)),
        benchmark.latest_value,
        benchmark.latest_measured_on,
        benchmark.progress,
        benchmark.expected,
        benchmark.gap,
        benchmark.status.value,
        comment,
    ]


def period_targets_of(indicator: IndicatorState) -> list[tuple[date, float]]:
    """``(due, target)`` pairs once indicators carry period targets (the results framework
    issue); until then an indicator has only its final target."""
    targets: Iterable[Any] = getattr(indicator, "period_targets", None) or []
    return [(t.due, t.target) for t in targets]


def milestone_row(milestone: MilestoneState, request: ReportRequest) -> list[Any]:
    completed_on = None if milestone.completed_at is None else milestone.completed_at.date()
    comment = milestone.evidence or milestone.last_note
    return [
        milestone.milestone_id,
        text.key_factor_label(milestone.key_factor, request.language),
        milestone.title,
        milestone.due_date,
        milestone.original_due_date,
        milestone.status,
        milestone.percent,
        completed_on,
        text.yes_no(request.period.contains(milestone.due_date), request.language),
        text.yes_no(_completed_in(milestone, request), request.language),
        text.yes_no(milestone.is_overdue, request.language),
        "",
        "",
        "",
        "",
        comment,
    ]


def _completed_in(milestone: MilestoneState, request: ReportRequest) -> bool:
    return milestone.completed_at is not None and request.period.contains(
        milestone.completed_at.astimezone(UTC).date()
    )


def _header(sheet: Worksheet, headers: Sequence[str]) -> None:
    append_row(sheet, list(headers))
    for cell in sheet[sheet.max_row]:
        _style(cell, "header", _header_cell)


def _finish(sheet: Worksheet, *, header_row: int, widths: Sequence[int]) -> None:
    """Frozen headers, and a print layout a donor can use: landscape, one page wide, the
    title and header rows repeated on every page."""
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"1:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
