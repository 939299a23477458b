"""Single sign-on in a real browser (headless Chromium, Debian's package) against a real
OpenID provider on loopback (panva's oidc-provider, testkit/oidc_provider.py): an invited
person presses "Sign in with Test Directory", types their directory password at the
provider, comes back signed in (the session cookie SameSite=Strict rides on our own
continue page), and is signed out at their next request once the directory disables them.
Screenshots go to test-artifacts/sso-*.png."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from playwright.async_api import Browser

from api.context import AccountSettings
from api.sso import SsoSettings
from testkit.oidc_provider import Account, RunningProvider, running_provider
from tests.e2e.browser import CHROMIUM, shot
from tests.e2e.served_stack import Served
from tests.integration.conftest import dev_env  # noqa: F401

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium"),
]
PERSON = Account("directory-4711", "a directory password", "sso.browser@example.org")


@pytest.fixture(scope="module")
def provider(site: Served) -> Iterator[RunningProvider]:
    with running_provider(f"{site.url}/ui/sso/callback", [PERSON]) as running:
        sso = SsoSettings(
            issuer=running.issuer,
            client_id=running.client_id,
            client_secret=running.client_secret,
            display_name="Test Directory",
            recheck_every=timedelta(0),  # every request asks the provider again
        )
        app = site.stack.app
        app.state.context = dataclasses.replace(
            app.state.context, accounts=AccountSettings(public_url=site.url, sso=sso)
        )
        yield running


async def test_sign_in_through_the_provider_and_lose_access_when_disabled_there(
    browser: Browser,
    site: Served,
    provider: RunningProvider,
) -> None:
    async with httpx.AsyncClient(base_url=site.url) as api:
        invited = await api.post(
            "/users",
            headers={"Authorization": f"Bearer {site.tokens['wco.manager']}"},
            json={
                "name": "sso.browser",
                "email": PERSON.email,
                "role": "observer",
                "reason": "signs in through the directory",
            },
        )
        assert invited.status_code == 201, invited.text
    page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    await page.goto(f"{site.url}/ui/plans")
    assert "/ui/login" in page.url
    await page.get_by_role("link", name="Sign in with Test Directory").click()
    await page.wait_for_url(f"{provider.issuer}/interaction/**")
    await page.get_by_label("Directory login").fill(PERSON.login)
    await page.get_by_label("Directory password").fill(PERSON.password)
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url(f"{site.url}/ui/plans")
    assert "sso.browser" in await page.locator("header").inner_text()
    await shot(page, "sso-signed-in")

    provider.disable(PERSON.login)
    try:
        await page.goto(f"{site.url}/ui/account")
        await page.wait_for_url(f"{site.url}/ui/login**")
        await shot(page, "sso-cut-after-disable")
    finally:
        provider.enable(PERSON.login)
