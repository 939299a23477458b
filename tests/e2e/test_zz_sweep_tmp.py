"""TEMPORARY (not committed): every page in fr, es, pt, ar; text and screenshots to /tmp."""
from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import async_playwright
from temporalio.testing import WorkflowEnvironment

from tests.e2e.served_stack import served
from tests.e2e.test_dashboard import CHROMIUM, CHROMIUM_ARGS
from tests.integration.conftest import dev_env  # noqa: F401

OUT = Path("/tmp/i18n3/sweep")
PAGES = ["/ui/portfolio", "/ui/plans", "/ui/plans/GHA-2026", "/ui/plans/KEN-2026", "/ui/plans/TZA-2026",
         "/ui/overdue", "/ui/audit", "/ui/plans/GHA-2026/history", "/ui/plans/GHA-2026/history?version=5",
         "/ui/reports", "/ui/users", "/ui/security", "/ui/account", "/ui/account/second-factor",
         "/ui/plans/XXX-2026", "/ui/security?day=bad"]


async def test_sweep(dev_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path_factory: pytest.TempPathFactory) -> None:  # noqa: F811
    OUT.mkdir(parents=True, exist_ok=True)
    async with served(dev_env.client, pool, tmp_path_factory.mktemp("home")) as site, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        for lang in ("fr", "es", "pt", "ar"):
            context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale=lang, timezone_id="Africa/Bamako")
            page = await context.new_page()
            for path in ("/ui/login", "/ui/password-reset", "/ui/welcome/nonsense"):
                await page.goto(site.url + path)
                name = path.strip("/").replace("/", "_")
                (OUT / f"{lang}-{name}.txt").write_text(await page.locator("body").inner_text())
                await page.screenshot(path=str(OUT / f"{lang}-{name}.png"), full_page=True)
            await page.goto(site.url + "/ui/login")
            await page.locator("details:has(#token-sign-in) > summary").click()
            await page.locator("#token").fill(site.tokens["wco.manager"])
            await page.locator("#token-sign-in button").click()
            await page.wait_for_load_state()
            for path in PAGES:
                await page.goto(site.url + path)
                name = path.strip("/").replace("/", "_").replace("?", "_")
                (OUT / f"{lang}-{name}.txt").write_text(await page.locator("body").inner_text())
                await page.screenshot(path=str(OUT / f"{lang}-{name}.png"), full_page=True)
            await context.close()
        await browser.close()
