"""A list of the dashboard (rows of JSON objects, as the API answers) as CSV or XLSX.

Columns are the rows' keys in first-seen order; nested values (lists, objects) are written
as their JSON text, so nothing the API gives is lost. In XLSX, numbers stay numbers and ISO
dates and instants become date cells (instants in UTC, as the API gives them).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from reports.annex import cell_text, deterministic_zip

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
# A spreadsheet runs a cell starting with these as a formula: written as text instead.
_FORMULA_START = ("=", "+", "-", "@")


def columns_of(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_csv(rows: Sequence[Mapping[str, Any]]) -> bytes:
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    header = columns_of(rows)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_text(row.get(column)) for column in header])
    # With a byte-order mark, spreadsheet programs read the UTF-8 (accents, Arabic) right.
    return "\ufeff".encode() + output.getvalue().encode("utf-8")


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return _text(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        if _DATE.match(value):
            return date.fromisoformat(value)
        if _INSTANT.match(value):
            instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return instant.astimezone(UTC).replace(tzinfo=None)
        if value.startswith(_FORMULA_START):
            return cell_text("'" + value if not _is_number(value) else value)
        return cell_text(value)
    return cell_text(_text(value))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_xlsx(title: str, rows: Sequence[Mapping[str, Any]], as_of: datetime) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = title[:31]
    header = columns_of(rows)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(row.get(column)) for column in header])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    naive = as_of.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    workbook.properties.created = workbook.properties.modified = naive
    buffer = io.BytesIO()
    workbook.save(buffer)
    return deterministic_zip(buffer.getvalue(), naive)
