"""The narrative skeleton: HTML with inline SVG charts, printed to PDF by headless Chromium.

The HTML is the reproducible part: Chromium stamps each PDF with its own creation time and
document id, so ``acip report verify`` recomputes and compares the HTML the PDF was printed
from, and checks the PDF's bytes against the digest issued on the record.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from domain import KeyFactor
from locales.catalogs import gettext_in
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


def build_narrative(request: ReportRequest, snapshots: Sequence[PlanSnapshot]) -> bytes:
    template = _environment.get_template("narrative.html")
    language = request.language

    def translate(message: str, **values: object) -> str:
        """``_("… %(name)s", name=value)`` in the report's language (autoescaped as text)."""
        translated = gettext_in(language, message)
        return translated % values if values else translated

    html = template.render(
        _=translate,
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
