"""A newcomer joins through the browser (headless Chromium, Debian's package): the programme
manager invites them on the People page, the invitation arrives by e-mail (aiosmtpd on
loopback), they set a password and enrol TOTP by scanning the page's QR code (its key read
off the page), sign in with password and code, and approve a plan with a fresh code.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator

import pyotp
import pytest
from playwright.async_api import Browser

from api.context import AccountSettings
from domain import Role
from eventstore import PostgresEventStore
from tests.e2e.browser import CHROMIUM, log_in, shot
from tests.e2e.served_stack import Served
from tests.integration.conftest import dev_env  # noqa: F401 (a fixture of this module too)
from tests.support.api_stack import API_YEAR, api_plan
from tests.support.ids import unique_country
from tests.support.mail import Inbox, smtp_server
from tests.support.plans import Stage

PASSWORD = "integrity rulings 2026 published"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    with smtp_server() as (inbox, _):
        yield inbox


@pytest.fixture(scope="module")
async def site(site: Served, inbox: Inbox) -> Served:
    """The served stack (tests/e2e/conftest.py) sending its invitations to ``inbox``."""
    app = site.stack.app
    app.state.context = dataclasses.replace(
        app.state.context, accounts=AccountSettings(public_url=site.url, smtp=inbox.smtp)
    )
    return site


async def test_invited_head_enrols_signs_in_and_approves_with_a_fresh_code(
    browser: Browser, site: Served, inbox: Inbox
) -> None:
    country = unique_country(year=API_YEAR)
    focal, head = f"{country.lower()}.focal", f"{country.lower()}.head"
    await site.stack.add_user(focal, Role.FOCAL_POINT, country)

    manager = await log_in(browser, site, "wco.manager")
    await manager.goto(f"{site.url}/ui/users")
    form = manager.locator("form#invite")
    await form.get_by_label("Account name").fill(head)
    await form.get_by_label("E-mail").fill(f"{head}@example.org")
    await form.get_by_label("Role").select_option("head_of_administration")
    await form.get_by_label("Country (focal points and heads; ISO code)").fill(country)
    await form.get_by_label("Reason").fill("new commissioner")
    await form.get_by_role("button", name="Send the invitation").click()
    await manager.wait_for_url(f"{site.url}/ui/users?done=invite_user")
    row = manager.locator(f"tr#person-{head.replace('.', '-')}")
    assert "Invited" in await row.inner_text()
    await shot(manager, "accounts-people-invited")
    await manager.context.close()

    link = await inbox.welcome_link(f"{head}@example.org")
    newcomer = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    await newcomer.goto(link)
    assert await newcomer.locator(".qr svg").count() == 1
    secret = (await newcomer.locator("#totp-secret").inner_text()).strip()
    totp = pyotp.TOTP(secret)
    await shot(newcomer, "accounts-welcome-enrol")
    await newcomer.get_by_label("New password").fill(PASSWORD)
    await newcomer.get_by_label("The same password again").fill(PASSWORD)
    await newcomer.get_by_label("Code from the app").fill(totp.now())
    await newcomer.get_by_role("button", name="Save").click()
    assert await newcomer.locator("#recovery-codes li").count() == 10
    await shot(newcomer, "accounts-recovery-codes")

    await newcomer.goto(f"{site.url}/ui/login")
    await newcomer.get_by_label("Account name or e-mail").fill(head)
    await newcomer.get_by_label("Password").fill(PASSWORD)
    await newcomer.get_by_label("Authenticator code").fill("123456")
    await newcomer.get_by_role("button", name="Sign in", exact=True).click()
    refusal = await newcomer.get_by_role("alert").inner_text()
    assert "The account, password or code is not right." in refusal
    await shot(newcomer, "accounts-wrong-code")
    await asyncio.sleep(30 - time.time() % 30 + 0.1)  # a new step: each code counts once
    await newcomer.get_by_label("Password").fill(PASSWORD)
    await newcomer.get_by_label("Authenticator code").fill(totp.now())
    await newcomer.get_by_role("button", name="Sign in", exact=True).click()
    await newcomer.wait_for_url(f"{site.url}/ui/plans")

    plan = api_plan(site.stack, country, focal=focal, head=head, manager="wco.manager")
    await plan.advance(Stage.UNDER_REVIEW)
    await site.stack.settle()
    await newcomer.goto(f"{site.url}/ui/plans/{plan.plan_id}")
    # Signed in moments ago with a code: the approval needs none within 5 minutes; age the
    # proof so the form has to ask for one, as it does for a tab left open.
    await site.stack.pool.execute(
        "UPDATE sessions SET second_factor_at = now() - interval '10 minutes' WHERE name = $1",
        head,
    )
    await newcomer.get_by_role("button", name="Approve the plan").click()
    assert "fresh code" in await newcomer.get_by_role("alert").inner_text()
    await shot(newcomer, "accounts-approval-needs-a-code")
    await asyncio.sleep(30 - time.time() % 30 + 0.1)
    await newcomer.get_by_label("Authenticator code").first.fill(totp.now())
    await newcomer.get_by_role("button", name="Approve the plan").click()
    await newcomer.wait_for_url(f"{site.url}/ui/plans/{plan.plan_id}?done=approve_plan")
    await shot(newcomer, "accounts-approved-with-totp")
    events = await PostgresEventStore(site.stack.pool).read_stream(f"plan-{plan.plan_id}")
    granted = [e for e in events if e.type == "plan_approval_granted"]
    assert granted[-1].metadata["confirmed_by"] == "totp"

    await newcomer.goto(f"{site.url}/ui/account")
    assert "TOTP enrolled" in await newcomer.locator("#second-factor").inner_text()
    await shot(newcomer, "accounts-own-account")
    await newcomer.context.close()
