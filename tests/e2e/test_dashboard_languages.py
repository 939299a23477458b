"""The dashboard in French and in Arabic, in headless Chromium: a browser that asks for
French gets the login page and every page after it in French, dates for Bamako and the
official key factor names; the switcher changes the language and saves it on the account.
In Arabic the page runs right to left: the brand stands at the right, the navigation to
its left, tables align to the right, and the charts' legends read right to left.
Screenshots go to test-artifacts/ (dashboard-fr-*.png, dashboard-ar-*.png)."""

from __future__ import annotations

import asyncpg
from playwright.async_api import Browser, Page

from domain import Role
from tests.e2e.browser import ARTIFACTS, shot
from tests.e2e.browser import log_in as log_in_as
from tests.e2e.served_stack import Served
from tests.e2e.test_dashboard import pytestmark
from tests.integration.conftest import dev_env  # noqa: F401 (a fixture of this module too)

__all__ = ["log_in_as", "pytestmark"]  # skipped without Chromium, as the dashboard test is


async def language_of(page: Page) -> tuple[str | None, str | None]:
    """The page's language and writing direction, as its <html> element declares them."""
    html = page.locator("html")
    return await html.get_attribute("lang"), await html.get_attribute("dir")


async def test_a_focal_point_in_bamako_works_in_french(
    browser: Browser, site: Served, pool: asyncpg.Pool
) -> None:
    await site.stack.add_user("gha.fr.focal", Role.FOCAL_POINT, "GHA")
    site.tokens.update(site.stack.tokens)
    page = await log_in_as(
        browser, site, "gha.fr.focal", locale="fr-FR", zone="Africa/Bamako",
        token_label="Jeton d'accès", button="Se connecter",
    )  # fmt: skip
    assert await language_of(page) == ("fr", "ltr")
    assert await page.get_by_role("heading", name="Plans d'action").count() == 1
    await shot(page, "dashboard-fr-plans")

    await page.get_by_role("link", name="GHA-2026").click()
    await page.wait_for_url(f"{site.url}/ui/plans/GHA-2026")
    benchmarks = await page.locator("#h-benchmarks + table").inner_text()
    for name in ("Leadership et engagement", "Relations avec le secteur privé", "Hors trajectoire"):
        assert name in benchmarks
    assert "Mise en œuvre" in await page.locator("ol.stepper").inner_text()
    # Instants in the reader's zone (the browser told it), UTC on hover.
    opened = page.locator("dl.facts time").first
    assert "(Africa/Bamako)" in await opened.inner_text()
    assert (await opened.get_attribute("title") or "").endswith(" UTC")
    # What people wrote stays as written: the demo plan's English milestone title.
    assert "Publish tariff rulings online" in await page.content()
    timeline = await page.locator("ol.timeline").inner_text()
    assert "a ouvert le plan GHA-2026" in timeline
    await shot(page, "dashboard-fr-plan-gha")
    await page.screenshot(path=str(ARTIFACTS / "dashboard-fr-plan-gha-top.png"))

    # Reporting progress, confirmed in French; the note is kept as typed.
    await page.locator("details.row-action summary", has_text="Signaler l'avancement").first.click()
    form = page.locator("form[id$='-report_milestone_progress']").first
    await form.get_by_label("Pourcentage réalisé").fill("60")
    await form.get_by_label("Note").fill("Formation des agents en cours à Bamako")
    await form.get_by_role("button", name="Signaler l'avancement").click()
    await page.wait_for_url("**done=report_milestone_progress**")
    notice = await page.get_by_role("status").first.inner_text()
    assert notice == "C'est fait : signaler l'avancement."
    assert "Formation des agents en cours à Bamako" in await page.content()
    await shot(page, "dashboard-fr-progress")

    # The switcher: Spanish from now on, in this browser and on the account.
    await page.goto(f"{site.url}/ui/overdue")
    await page.get_by_role("button", name="Español").click()
    await page.wait_for_url(f"{site.url}/ui/overdue")
    assert await language_of(page) == ("es", "ltr")
    assert await page.get_by_role("heading", name="Hitos vencidos").count() == 1
    saved = await pool.fetchval("SELECT language FROM users WHERE name = 'gha.fr.focal'")
    assert saved == "es"
    await shot(page, "dashboard-es-overdue")
    await page.context.close()


async def test_arabic_lays_the_dashboard_out_right_to_left(browser: Browser, site: Served) -> None:
    page = await log_in_as(
        browser, site, "wco.manager", locale="ar-JO", zone="Asia/Amman",
        token_label="رمز الدخول", button="تسجيل الدخول",
    )  # fmt: skip
    assert await language_of(page) == ("ar", "rtl")
    assert await page.locator("#partly-translated").count() == 1  # says it is partial

    brand = await page.locator(".brand").bounding_box()
    nav = await page.locator("header.top nav").bounding_box()
    who = await page.locator(".who").bounding_box()
    assert brand and nav and who
    # Mirrored: the brand is at the right edge, the navigation to its left, the user's name
    # and the log-out button further left still.
    assert brand["x"] > nav["x"] > who["x"]
    assert brand["x"] + brand["width"] > 1280 - 40
    await shot(page, "dashboard-ar-plans")

    await page.get_by_role("link", name="GHA-2026").click()
    await page.wait_for_url(f"{site.url}/ui/plans/GHA-2026")
    benchmarks = page.locator("#h-benchmarks + table")
    assert "القيادة والالتزام" in await benchmarks.inner_text()
    header = benchmarks.locator("thead th").first
    cell = await header.bounding_box()
    table = await benchmarks.bounding_box()
    assert cell and table
    assert cell["x"] + cell["width"] > table["x"] + table["width"] - 4  # first column at right
    legends = await page.evaluate(
        "() => [...document.querySelectorAll('canvas.indicator-chart')]"
        ".map(c => Chart.getChart(c)).filter(Boolean)"
        ".map(chart => chart.options.plugins.legend.rtl && chart.options.scales.y.position)"
    )
    charts = await page.locator("canvas.indicator-chart").count()
    # Every indicator's chart drawn, legend right to left, values on the right.
    assert charts >= 3 and legends == ["right"] * charts
    await shot(page, "dashboard-ar-plan-gha")
    await page.locator("#h-indicators").scroll_into_view_if_needed()
    await page.screenshot(path=str(ARTIFACTS / "dashboard-ar-plan-gha-charts.png"))
    await page.context.close()
