"""The narrative skeleton: HTML with inline SVG charts, printed to PDF by headless Chromium.

The HTML is the reproducible part: Chromium stamps each PDF with its own creation time and
document id, so ``acip report verify`` recomputes and compares the HTML the PDF was printed
from, and checks the PDF's bytes against the digest issued on the record.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from domain import BenchmarkStatus, KeyFactor
from domain.benchmarks import STATUSES_BEST_FIRST
from domain.regions import Region, region_of
from locales.catalogs import N_, gettext_in, ngettext_in
from locales.terms import term
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
# The third format's programme or donor narrative: the summary, the key factors by WCO
# region (a chart each) and by country (a bar of the plans' statuses per key factor), and
# the plans three to a row as coloured cells: about 15 A4 pages for 2,000 plans, where the
# second format's one row of words per plan printed 50.
PROGRAMME_TEMPLATE = "narrative_programme.html"
PLAN_COLUMNS = 3
CHART_WIDTH = 400
NO_REGION = N_("Not a WCO member")
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


@dataclass(frozen=True)
class PlanGroup:
    """The plans of one region or country: their key factors' counts and each status's
    share of them (percent, for the country grid's bars)."""

    name: str
    plans: int
    counts: dict[KeyFactor, KeyFactorCounts]
    shares: dict[KeyFactor, list[tuple[BenchmarkStatus, float]]]


def _group(name: str, snapshots: Sequence[PlanSnapshot]) -> PlanGroup:
    counts = key_factor_counts(snapshots)
    shares = {
        kf: [(status, round(100 * width / CHART_WIDTH, 2)) for status, _, width in c.segments]
        for kf, c in counts.items()
    }
    return PlanGroup(name=name, plans=len(snapshots), counts=counts, shares=shares)


def _by(
    snapshots: Sequence[PlanSnapshot], key: Callable[[PlanSnapshot], str]
) -> dict[str, list[PlanSnapshot]]:
    grouped: dict[str, list[PlanSnapshot]] = {}
    for snapshot in snapshots:
        grouped.setdefault(key(snapshot), []).append(snapshot)
    return grouped


def programme_groups(
    snapshots: Sequence[PlanSnapshot], language: str
) -> tuple[list[PlanGroup], list[PlanGroup]]:
    """The regions (in the WCO's order; members of none last) and the countries (by code)."""
    by_region = _by(snapshots, lambda s: str(region_of(s.state.country) or ""))
    regions = [
        _group(term(region.value, language), by_region[region.value])
        for region in Region
        if region.value in by_region
    ]
    if "" in by_region:
        regions.append(_group(gettext_in(language, NO_REGION), by_region[""]))
    by_country = _by(snapshots, lambda s: s.state.country)
    countries = [_group(code, by_country[code]) for code in sorted(by_country)]
    return regions, countries


def build_narrative(
    request: ReportRequest,
    snapshots: Sequence[PlanSnapshot],
    *,
    summary: bool = False,
    programme: bool = False,
) -> bytes:
    """The narrative's HTML; ``summary``: the second format's programme-level form
    (SUMMARY_TEMPLATE); ``programme``: the third's (PROGRAMME_TEMPLATE)."""
    forms = {(True, True): PROGRAMME_TEMPLATE, (True, False): SUMMARY_TEMPLATE}
    template = _environment.get_template(forms.get((summary, programme), PER_PLAN_TEMPLATE))
    language = request.language
    regions, countries = programme_groups(snapshots, language) if programme else ([], [])
    plan_rows = [
        snapshots[start : start + PLAN_COLUMNS] for start in range(0, len(snapshots), PLAN_COLUMNS)
    ]

    def translate(message: str, **values: object) -> str:
        """``_("… %(name)s", name=value)`` in the report's language (autoescaped as text)."""
        translated = gettext_in(language, message)
        return translated % values if values else translated

    def translate_plural(singular: str, plural: str, n: int) -> str:
        return ngettext_in(language, singular, plural, n) % {"num": n}

    html = template.render(
        _=translate,
        ngettext=translate_plural,
        counts=key_factor_counts(snapshots) if summary or programme else {},
        regions=regions,
        countries=countries,
        plan_rows=plan_rows,
        plan_columns=min(PLAN_COLUMNS, len(snapshots)),
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


async def render_pdf(html: bytes | Awaitable[bytes]) -> bytes:
    """A4 PDF of the narrative; PdfUnavailableError (with what to install) without Chromium.
    ``html`` may be awaitable: Chromium is launched first (about a second of its own, see
    docs/performance.md) while the caller is still gathering what the HTML shows."""
    executable = chromium_path()
    if not executable.exists():
        if not isinstance(html, bytes):
            await html  # the caller's work goes on; only the PDF is missing
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
            content = html if isinstance(html, bytes) else await html
            await page.set_content(content.decode("utf-8"), wait_until="load")
            return await page.pdf(format="A4", print_background=True)
        finally:
            await browser.close()
