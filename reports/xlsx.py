"""A small, deterministic xlsx writer: the workbook's XML parts written directly.

An xlsx is a zip of small XML parts (content types, relationships, the workbook, a style
sheet, one worksheet per sheet). openpyxl builds an object per cell and writes each through
et_xmlfile (~50 µs a cell, most of a large annex's time); the annex's cells are simple
(text, numbers, dates; four styles), so each row is written here as one string. Text is
written inline (``t="inlineStr"``), which every spreadsheet program reads; numbers as
numbers, dates as date serials with a date style. The bytes depend only on the content:
fixed member timestamps and order, document times given by the caller.
"""

from __future__ import annotations

import functools
import io
import math
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

# Every member gets this timestamp, so the bytes never depend on the clock.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# Level 1: at 2,000 ten-year plans the annex took 2.7-4.3 s at level 1 against 3.7-4.5 s at
# zlib's default 6, for 9.9 MB against 8.8 MB (docs/performance.md, "Donor reports"). The
# level is part of format 3's bytes: changing it would make its reports differ.
DEFLATE_LEVEL = 1
_EXCEL_EPOCH = date(1899, 12, 30)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_COLUMNS = [get_column_letter(n) for n in range(1, 65)]


class Style(IntEnum):
    """The cell formats of styles.xml, by their index in ``cellXfs``."""

    PLAIN = 0
    DATE = 1  # yyyy-mm-dd
    PERCENT = 2  # 0%
    HEADER = 3  # bold on a light fill, wrapped, top-aligned


_STYLES = (
    _HEAD + f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="00DDE3EA"/><bgColor indexed="64"/>'
    "</patternFill></fill></fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="9" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"'
    ' applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


_ATTRIBUTE = {style: (f' s="{int(style)}"' if style else "") for style in Style}


@functools.lru_cache(maxsize=8192)
def _text(value: str) -> str:
    """Escaped for XML; control characters the format cannot store (what people wrote may
    hold them) dropped. Cached: key factors, statuses, yes/no, titles repeat across plans."""
    return escape(ILLEGAL_CHARACTERS_RE.sub("", value))


def _cell(ref: str, value: Any, s: str) -> str:
    """One ``<c>`` (``s``: its style attribute); empty (None, "") cells are left out unless
    styled. The common types first, by exact type: this runs once per cell."""
    kind = type(value)
    if kind is str:
        if value:
            return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'  # noqa: E501
    elif kind is int:
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    elif kind is float:
        if math.isfinite(value):
            return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
        return _cell(ref, str(value), s)
    elif kind is date:
        return f'<c r="{ref}"{s}><v>{(value - _EXCEL_EPOCH).days}</v></c>'
    elif value is not None:
        return _other_cell(ref, value, s)
    return f'<c r="{ref}"{s}/>' if s else ""


def _other_cell(ref: str, value: Any, s: str) -> str:
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime):
        serial = (value - datetime(1899, 12, 30, tzinfo=value.tzinfo)).total_seconds() / 86_400
        return f'<c r="{ref}"{s}><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return _cell(ref, date(value.year, value.month, value.day), s)
    if isinstance(value, int):
        return _cell(ref, int(value), s)
    if isinstance(value, float):
        return _cell(ref, float(value), s)
    return _cell(ref, str(value), s)


@functools.lru_cache(maxsize=256)
def _row_attributes(styles: tuple[tuple[int, Style], ...], style: Style, width: int) -> list[str]:
    by_column = dict(styles)
    return [_ATTRIBUTE[by_column.get(n, style)] for n in range(1, width + 1)]


def _attributes(styles: Mapping[int, Style] | None, style: Style, width: int) -> list[str]:
    """Each cell's style attribute, the same few rows' worth computed once."""
    return _row_attributes(tuple(sorted((styles or {}).items())), style, width)


@dataclass
class Sheet:
    """One worksheet: rows appended in order; frozen and repeated above ``header_row``."""

    name: str
    widths: Sequence[float]
    header_row: int
    _rows: list[str] = field(default_factory=list)
    _columns: int = 1

    def append(
        self, values: Sequence[Any], styles: Mapping[int, Style] | None = None, *,
        style: Style = Style.PLAIN,
    ) -> None:  # fmt: skip
        """A row; ``styles`` by 1-based column, else ``style`` for every cell."""
        number = str(len(self._rows) + 1)
        attributes = _attributes(styles, style, len(values))
        cells = "".join(
            [
                _cell(column + number, value, attribute)
                for column, value, attribute in zip(_COLUMNS, values, attributes, strict=False)
            ]
        )
        self._columns = max(self._columns, len(values))
        self._rows.append(f'<row r="{number}">{cells}</row>' if cells else f'<row r="{number}"/>')

    def xml(self, *, selected: bool) -> str:
        top = f"A{self.header_row + 1}"
        tab = ' tabSelected="1"' if selected else ""
        last = f"{_COLUMNS[self._columns - 1]}{max(1, len(self._rows))}"
        columns = "".join(
            f'<col min="{n}" max="{n}" width="{w}" customWidth="1"/>'
            for n, w in enumerate(self.widths, start=1)
        )
        return (
            f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            f'<dimension ref="A1:{last}"/>'
            f'<sheetViews><sheetView{tab} workbookViewId="0">'
            f'<pane ySplit="{self.header_row}" topLeftCell="{top}" activePane="bottomLeft"'
            f' state="frozen"/><selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>'
            '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            f"<cols>{columns}</cols><sheetData>{''.join(self._rows)}</sheetData>"
            '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
            '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/></worksheet>'
        )


def _workbook(sheets: Sequence[Sheet]) -> str:
    entries = "".join(
        f'<sheet name={quoteattr(s.name)} sheetId="{n}" r:id="rId{n}"/>'
        for n, s in enumerate(sheets, start=1)
    )
    titles = "".join(
        f'<definedName name="_xlnm.Print_Titles" localSheetId="{n}">'
        f"{escape(_quoted_sheet(s.name))}!$1:${s.header_row}</definedName>"
        for n, s in enumerate(sheets)
    )
    return (
        f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/>'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{entries}</sheets><definedNames>{titles}</definedNames></workbook>"
    )


def _quoted_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _relationships(targets: Iterable[tuple[str, str]]) -> str:
    entries = "".join(
        f'<Relationship Id="rId{n}" Type="{kind}" Target="{target}"/>'
        for n, (kind, target) in enumerate(targets, start=1)
    )
    return f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{entries}</Relationships>'


def _content_types(sheets: int) -> str:
    ml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = [
        ("/xl/workbook.xml", f"{ml}.sheet.main+xml"),
        ("/xl/styles.xml", f"{ml}.styles+xml"),
        *((f"/xl/worksheets/sheet{n}.xml", f"{ml}.worksheet+xml") for n in range(1, sheets + 1)),
        ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
        ("/docProps/app.xml",
         "application/vnd.openxmlformats-officedocument.extended-properties+xml"),
    ]  # fmt: skip
    return (
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides)
        + "</Types>"
    )


def _core(creator: str, stamp: str) -> str:
    return (
        f"{_HEAD}<cp:coreProperties"
        ' xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:creator>{escape(creator)}</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    )


_APP = (
    f"{_HEAD}<Properties xmlns="
    '"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>acip</Application></Properties>"
)


def workbook_bytes(sheets: Sequence[Sheet], *, creator: str, created: datetime) -> bytes:
    """The .xlsx of ``sheets`` (the first one selected); ``created`` (UTC, naive or not) is
    the document's created and modified time."""
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    worksheet = f"{office}/worksheet"
    parts: list[tuple[str, str]] = [
        ("[Content_Types].xml", _content_types(len(sheets))),
        ("_rels/.rels", _relationships([
            (f"{office}/officeDocument", "xl/workbook.xml"),
            ("http://schemas.openxmlformats.org/package/2006/relationships/metadata/"
             "core-properties", "docProps/core.xml"),
            (f"{office}/extended-properties", "docProps/app.xml"),
        ])),
        ("docProps/app.xml", _APP),
        ("docProps/core.xml", _core(creator, created.strftime("%Y-%m-%dT%H:%M:%SZ"))),
        ("xl/workbook.xml", _workbook(sheets)),
        ("xl/_rels/workbook.xml.rels", _relationships([
            *((worksheet, f"worksheets/sheet{n}.xml") for n in range(1, len(sheets) + 1)),
            (f"{office}/styles", "styles.xml"),
        ])),
        ("xl/styles.xml", _STYLES),
        *(
            (f"xl/worksheets/sheet{n}.xml", sheet.xml(selected=n == 1))
            for n, sheet in enumerate(sheets, start=1)
        ),
    ]  # fmt: skip
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts:
            member = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            archive.writestr(member, text.encode("utf-8"), compresslevel=DEFLATE_LEVEL)
    return output.getvalue()
