"""The dashboard in headless Chromium (Debian's package, driven by Playwright): log in, open
a plan, approve it as the right role, see the approval in the timeline, be refused as the
submitter with a readable message. Screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Browser, Page, async_playwright
from temporalio.testing import WorkflowEnvironment

from domain import Role
from tests.e2e.served_stack import Served, served
from tests.integration.conftest import dev_env  # noqa: F401 (a fixture of this module too)
from tests.support.api_stack import API_YEAR, api_plan
from tests.support.ids import unique_country
from tests.support.plans import Stage

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="no /usr/bin/chromium: install Debian's chromium package (.ci/run does)",
    ),
]


@pytest.fixture(scope="module")
async def site(
    dev_env: WorkflowEnvironment,  # noqa: F811
    pool: asyncpg.Pool,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Served]:
    async with served(dev_env.client, pool, tmp_path_factory.mktemp("home")) as site:
        yield site


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


async def log_in(browser: Browser, site: Served, user: str) -> Page:
    """A fresh browser context (its own cookies) logged in as ``user``."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"{site.url}/ui/plans")
    assert "/ui/login" in page.url
    await page.get_by_text("Sign in with an access token").click()
    await page.get_by_label("Access token").fill(site.tokens[user])
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{site.url}/ui/plans")
    return page


async def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def test_plans_list_and_plan_page_with_charts(browser: Browser, site: Served) -> None:
    page = await log_in(browser, site, "wco.manager")
    rows = page.get_by_role("row")
    text = await page.locator("table.grid").inner_text()
    for plan_id in ("GHA-2026", "KEN-2026", "TZA-2026"):
        assert plan_id in text
    assert await rows.count() >= 4
    await shot(page, "dashboard-plans")

    await page.get_by_role("link", name="GHA-2026").click()
    await page.wait_for_url(f"{site.url}/ui/plans/GHA-2026")
    assert "Overdue" in await page.locator("#h-milestones + table").inner_text()
    drawn = await page.evaluate(
        "() => [...document.querySelectorAll('canvas.indicator-chart')]"
        ".filter(c => Chart.getChart(c)).length"
    )
    assert drawn == 3
    await shot(page, "dashboard-plan-gha")
    await page.get_by_role("link", name="Overdue milestones").click()
    assert "Publish tariff rulings online" in await page.content()
    await shot(page, "dashboard-overdue")
    await page.context.close()


async def test_approve_as_the_right_role_and_be_refused_as_the_submitter(
    browser: Browser, site: Served
) -> None:
    country = unique_country(year=API_YEAR)
    focal, head = f"{country.lower()}.focal", f"{country.lower()}.head"
    await site.stack.add_user(focal, Role.FOCAL_POINT, country)
    await site.stack.add_user(head, Role.HEAD_OF_ADMINISTRATION, country)
    site.tokens.update(site.stack.tokens)
    plan = api_plan(site.stack, country, focal=focal, head=head, manager="wco.manager")
    await plan.advance(Stage.DRAFTED)
    await plan.ok("wco.manager", type="submit_for_approval")
    await site.stack.settle()

    manager = await log_in(browser, site, "wco.manager")
    await manager.goto(f"{site.url}/ui/plans/{plan.plan_id}")
    await manager.get_by_role("button", name="Approve the plan").click()
    alert = manager.get_by_role("alert")
    message = await alert.inner_text()
    assert "Refused" in message and "four_eyes" in message
    assert "submitted" in message  # the sentence says why, not only the rule
    await shot(manager, "dashboard-refused-four-eyes")
    await manager.context.close()

    approver = await log_in(browser, site, head)
    await approver.goto(f"{site.url}/ui/plans/{plan.plan_id}")
    await approver.get_by_label("Comment").first.fill("Agreed for the administration")
    await approver.get_by_role("button", name="Approve the plan").click()
    await approver.wait_for_url(f"{site.url}/ui/plans/{plan.plan_id}?done=approve_plan")
    assert "Your approval is recorded." in await approver.get_by_role("status").first.inner_text()
    timeline = await approver.locator("ol.timeline").inner_text()
    assert f"{head} approved the plan" in timeline
    await shot(approver, "dashboard-approved")

    await approver.get_by_role("button", name="Log out").click()
    await approver.wait_for_url(f"{site.url}/ui/login")
    await approver.goto(f"{site.url}/ui/plans")
    assert "/ui/login" in approver.url
    await approver.context.close()


async def test_auditor_replays_history_and_sees_the_chain_verified(
    browser: Browser, site: Served
) -> None:
    page = await log_in(browser, site, "wco.auditor")
    await page.goto(f"{site.url}/ui/audit")
    assert "Hash chain intact" in await page.content()
    await page.goto(f"{site.url}/ui/plans/GHA-2026/history")
    await page.get_by_label("or version").fill("12")
    await page.get_by_role("button", name="Replay").click()
    lead = await page.locator("p.lead").inner_text()
    assert "version 12" in lead and "Drafting" in lead
    await shot(page, "dashboard-history")
    await page.goto(f"{site.url}/docs")
    await page.locator(
        ".opblock-summary-path", has_text="/plans/{plan_id}/commands"
    ).first.wait_for()
    await page.context.close()


async def test_manager_downloads_a_report_and_the_auditor_sees_it_verify(
    browser: Browser, site: Served, tmp_path: Path
) -> None:
    from reports import read_bundle

    page = await log_in(browser, site, "wco.manager")
    await page.goto(f"{site.url}/ui/plans/GHA-2026")
    async with page.expect_download() as waiting:
        await page.get_by_role("button", name="Download report").click()
    download = await waiting.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(str(saved))
    bundle = read_bundle(saved.read_bytes())
    assert [p["plan_id"] for p in bundle.manifest["plans"]] == ["GHA-2026"]
    assert bundle.files["narrative.pdf"].startswith(b"%PDF-")
    await page.context.close()

    page = await log_in(browser, site, "wco.auditor")
    await page.get_by_role("link", name="Reports").click()
    row = page.get_by_role("row").filter(has_text=bundle.manifest["report_id"])
    assert "verifies" in await row.inner_text()
    await shot(page, "dashboard-reports")
    await page.context.close()
