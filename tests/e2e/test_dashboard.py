"""The dashboard in headless Chromium (Debian's package, driven by Playwright): log in, open
a plan, approve it as the right role, see the approval in the timeline, be refused as the
submitter with a readable message. Screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from domain import Role
from tests.e2e.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, log_in, shot
from tests.e2e.served_stack import Served
from tests.integration.conftest import dev_env  # noqa: F401 (a fixture of this module too)
from tests.support.api_stack import API_YEAR, api_plan
from tests.support.ids import unique_country
from tests.support.plans import Stage

# Re-exported: the other browser tests import these and the marks from here.
__all__ = ["ARTIFACTS", "CHROMIUM", "CHROMIUM_ARGS", "log_in", "pytestmark", "shot"]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="no /usr/bin/chromium: install Debian's chromium package (.ci/run does)",
    ),
]


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
    assert drawn == 4
    assert await page.evaluate(
        "() => !!Chart.getChart(document.getElementById('diagnostic-chart'))"
    )
    assert "Specific outcome O1.1" in await page.locator("#results-tree").inner_text()
    await shot(page, "dashboard-plan-gha")
    await page.get_by_role("link", name="Overdue milestones").click()
    assert "Publish tariff rulings online" in await page.content()
    await shot(page, "dashboard-overdue")
    await page.context.close()


async def test_approve_as_the_right_role_and_the_submitter_is_not_offered_approve(
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

    # The submitter is offered no Approve (four eyes: it could only be refused), but may
    # still request changes.
    manager = await log_in(browser, site, "wco.manager")
    await manager.goto(f"{site.url}/ui/plans/{plan.plan_id}")
    assert await manager.locator('form[id="act-approve_plan"]').count() == 0
    assert await manager.locator('form[id="act-request_changes"]').count() == 1
    await shot(manager, "dashboard-submitter-not-offered-approve")
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


async def _send_form(
    page: Page, form_id: str, values: dict[str, str], checks: tuple[str, ...] = ()
) -> None:
    """Fill and submit one command form of the page, as a person would (its <details> opened
    first), and wait for the page it redirects to."""
    await page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    form = page.locator(f'form[id="{form_id}"]')
    for name, value in values.items():
        field = page.locator(f'[id="{form_id}-{name}"]')
        if await field.evaluate("e => e.tagName") == "SELECT":
            await field.select_option(value)
        else:
            await field.fill(value)
    for value in checks:
        await form.locator(f'input[type="checkbox"][value="{value}"]').check()
    async with page.expect_navigation():
        await form.locator('button[type="submit"]').click()
    assert "done=" in page.url, await page.content()


async def test_build_a_plan_with_outcomes_and_period_targets_through_the_dashboard(
    browser: Browser, site: Served
) -> None:
    country = unique_country(year=API_YEAR)
    focal = f"{country.lower()}.focal"
    await site.stack.add_user(focal, Role.FOCAL_POINT, country)
    site.tokens.update(site.stack.tokens)
    plan_id = f"{country}-{API_YEAR}"

    manager = await log_in(browser, site, "wco.manager")
    await _send_form(
        manager,
        "open-plan",
        {
            "country": country,
            "administration": "Customs administration",
            "title": "Integrity action plan 2026-2028",
            "period_start": f"{API_YEAR}-01-01",
            "period_end": f"{API_YEAR + 2}-12-31",
            "reminder_policy.measurement_grace_days": "20",
        },
    )
    await manager.context.close()

    page = await log_in(browser, site, focal)
    await page.goto(f"{site.url}/ui/plans/{plan_id}")
    for n in range(10):  # the form offers the next key factor still to assess
        await _send_form(
            page,
            "act-record_diagnostic_finding",
            {"maturity": str(2 + n % 3), "summary": f"Finding {n + 1}"},
        )
    await _send_form(page, "act-complete_diagnostic", {})
    await _send_form(
        page,
        "act-add_outcome",
        {"outcome_id": "O1", "title": "Clearance is transparent"},
        checks=("transparency", "automation"),
    )
    await _send_form(
        page,
        "act-add_outcome",
        {"outcome_id": "O2", "title": "Staff apply the code of conduct"},
        checks=("code_of_conduct",),
    )
    for mid, outcome, factor in (("M1", "O1", "transparency"), ("M2", "O2", "code_of_conduct")):
        await _send_form(
            page,
            "act-add_milestone",
            {
                "milestone_id": mid,
                "title": f"Milestone {mid}",
                "key_factor": factor,
                "due_date": f"{API_YEAR + 1}-06-30",
                "outcome_id": outcome,
            },
        )
    await _send_form(
        page,
        "act-define_indicator",
        {
            "indicator_id": "I1",
            "name": "Rulings published within ten days",
            "key_factor": "transparency",
            "unit": "percent",
            "baseline": "10",
            "target": "90",
            "outcome_id": "O1",
            "reporting_frequency": "quarterly",
            "period_targets": f"{API_YEAR}-12-31 40\n{API_YEAR + 1}-12-31 70",
        },
    )
    await _send_form(
        page,
        "act-define_indicator",
        {
            "indicator_id": "I2",
            "name": "Staff trained on the code",
            "key_factor": "code_of_conduct",
            "unit": "percent",
            "baseline": "0",
            "target": "100",
            "outcome_id": "O2",
        },
    )
    await _send_form(page, "act-submit_for_approval", {})
    await site.stack.settle()
    await page.goto(f"{site.url}/ui/plans/{plan_id}")
    tree = await page.locator("#results-tree").inner_text()
    assert "General outcome O1" in tree and "General outcome O2" in tree
    assert "Indicator I1" in tree and "quarterly" in tree
    await page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    periods = await page.locator("#rf-I1 table.periods").inner_text()
    assert "40" in periods and "70" in periods
    assert await page.locator("#rf-I1 table.periods tbody tr").count() == 12
    diagnostic = await page.locator("#diagnostic-table").inner_text()
    assert "Finding 1" in diagnostic
    await shot(page, "dashboard-results-framework")


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
