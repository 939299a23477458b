"""The narrative skeleton: HTML with inline SVG charts, printed to PDF by headless Chromium.

The HTML is the reproducible part: Chromium stamps each PDF with its own creation time and
document id, so ``acip report verify`` recomputes and compares the HTML the PDF was printed
from, and checks the PDF's bytes against the digest issued on the record.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from domain import BenchmarkStatus, KeyFactor
from domain.benchmarks import STATUSES_BEST_FIRST
from locales.catalogs import gettext_in, ngettext_in
from reports import text
from reports.model import PlanSnapshot, ReportRequest

DEFAULT_CHROMIUM = "/usr/bin/chromium"
_environment = Environment(
    loader=PackageLoader("reports", "templates"),
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
)


class PdfUnavailableError(RuntimeError):
    """No headless Chromium to print with: the report can still be issued without a PDF."""


# A programme's or a donor's report in the second format: the summary (aggregates, one
# chart, a table of plans); each plan's detail is in the annex. Single-plan reports, and
# every report of the first format, keep a section and a chart per plan.
SUMMARY_TEMPLATE = "narrative_summary.html"
PER_PLAN_TEMPLATE = "narrative.html"
CHART_WIDTH = 400
# The chart's and the table's order of statuses, best first.
SUMMARY_STATUSES = list(STATUSES_BEST_FIRST)


@dataclass(frozen=True)
class KeyFactorCounts:
    by_status: dict[BenchmarkStatus, int]
    segments: list[tuple[BenchmarkStatus, float, float]]  # status, x, width


def key_factor_counts(snapshots: Sequence[PlanSnapshot]) -> dict[KeyFactor, KeyFactorCounts]:
    """Per key factor, how many plans have each status, and the chart's bar of them."""
    counted: dict[KeyFactor, Counter[BenchmarkStatus]] = {k: Counter() for k in KeyFactor}
    for snapshot in snapshots:
        for benchmark in snapshot.benchmarks:
            counted[benchmark.key_factor][benchmark.status] += 1
    result = {}
    for key_factor, counts in counted.items():
        total, x, segments = sum(counts.values()) or 1, 0.0, []
        for status in SUMMARY_STATUSES:
            if counts[status]:
                width = round(CHART_WIDTH * counts[status] / total, 2)
                segments.append((status, round(x, 2), width))
                x += width
        result[key_factor] = KeyFactorCounts(by_status=dict(counts), segments=segments)
    return result


def build_narrative(
    request: ReportRequest, snapshots: Sequence[PlanSnapshot], *, summary: bool = False
) -> bytes:
    """The narrative's HTML; ``summary``: the programme-level form (SUMMARY_TEMPLATE)."""
    template = _environment.get_template(SUMMARY_TEMPLATE if summary else PER_PLAN_TEMPLATE)
    language = request.language

    def translate(message: str, **values: object) -> str:
        """``_("… %(name)s", name=value)`` in the report's language (autoescaped as text)."""
        translated = gettext_in(language, message)
        return translated % values if values else translated

    def translate_plural(singular: str, plural: str, n: int) -> str:
        return ngettext_in(language, singular, plural, n) % {"num": n}

    html = template.render(
        _=translate,
        ngettext=translate_plural,
        counts=key_factor_counts(snapshots) if summary else {},
        statuses=SUMMARY_STATUSES,
        language=language,
        title=text.report_title(request),
        as_of_line=text.as_of_line(request),
        request=request,
        snapshots=snapshots,
        key_factors=list(KeyFactor),
        status_word=lambda status: text.status_word(status, language),
        key_factor_label=lambda kf: text.key_factor_label(kf, language),
        phase_label=lambda phase: text.phase_label(phase, language),
        bar=_bar,
    )
    return html.encode("utf-8")


def _bar(value: float | None) -> int:
    """Width in SVG units (0-200) of a share, clamped: progress may exceed 100 %."""
    if value is None:
        return 0
    return round(max(0.0, min(1.0, value)) * 200)


def chromium_path() -> Path:
    return Path(os.environ.get("ACIP_CHROMIUM", DEFAULT_CHROMIUM))


async def render_pdf(html: bytes) -> bytes:
    """A4 PDF of the narrative; PdfUnavailableError (with what to install) without Chromium."""
    executable = chromium_path()
    if not executable.exists():
        raise PdfUnavailableError(
            f"no headless Chromium at {executable}: install Debian's chromium "
            "(apt-get install -y chromium) or set ACIP_CHROMIUM; the report is issued without "
            "its PDF"
        )
    try:
        from playwright.async_api import async_playwright
    except ImportError as missing:
        raise PdfUnavailableError("the playwright package is not installed") from missing
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(executable))
        try:
            page = await browser.new_page()
            await page.set_content(html.decode("utf-8"), wait_until="load")
            return await page.pdf(format="A4", print_background=True)
        finally:
            await browser.close()
