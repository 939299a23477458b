"""Headless Chromium (Debian's package, driven by Playwright) for the dashboard's e2e tests:
where it is, how it starts, signing in through the token form, screenshots in
test-artifacts/."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

from tests.e2e.served_stack import Served

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


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


async def log_in(
    browser: Browser,
    site: Served,
    user: str,
    *,
    locale: str | None = None,
    zone: str | None = None,
    token_label: str = "Access token",
    button: str = "Log in",
) -> Page:
    """A fresh browser context (its own cookies) logged in as ``user`` through the token
    form; a browser that asks for ``locale`` in ``zone`` reads the form translated, so the
    token field's label and the button's name are given in that language."""
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale=locale,
        timezone_id=zone,
    )
    page = await context.new_page()
    await page.goto(f"{site.url}/ui/plans")
    assert "/ui/login" in page.url
    await page.locator("details:has(#token-sign-in) > summary").click()  # the token form
    await page.get_by_label(token_label).fill(site.tokens[user])
    await page.locator("#token-sign-in").get_by_role("button", name=button).click()
    await page.wait_for_url(f"{site.url}/ui/plans")
    return page


async def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
