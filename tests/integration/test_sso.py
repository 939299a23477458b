"""Single sign-on against a real OpenID provider (panva's oidc-provider, started on loopback
by testkit/oidc_provider.py), never a mock: the dashboard's redirect to the provider, the
provider's own login form, the redirect back with a code, the code exchanged with PKCE, the
ID token checked against the provider's JWKS, and the refresh-token re-check of a live
session. The dashboard is the app in-process (ASGI); everything to and from the provider
is real HTTP.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.context import AccountSettings
from api.people import STREAM_PREFIX
from api.security_log import events_of_day
from api.sso import SsoSettings
from domain import Role
from testkit.oidc_provider import Account, RunningProvider, running_provider
from tests.support.api_stack import Stack, running_stack

SITE = "http://acip.test"
NOT_LINKED = "No active account here is linked to this sign-in."
# A provider password nobody here ever sees: it is typed into the provider's own form.
ACCOUNTS = [
    Account("sub-newcomer", "directory pass 1", "sso.newcomer@example.org"),
    Account("sub-linker", "directory pass 2", "someone.else@example.org"),
    Account("sub-stranger", "directory pass 3", "stranger@example.org"),
    Account("sub-leaver", "directory pass 4", "sso.leaver@example.org"),
    Account("sub-unverified", "directory pass 5", "sso.unverified@example.org", False),
]
PASSWORDS = {a.login: a.password for a in ACCOUNTS}


@pytest.fixture(scope="module")
def provider() -> Iterator[RunningProvider]:
    with running_provider(f"{SITE}/ui/sso/callback", ACCOUNTS) as running:
        yield running


@pytest.fixture(scope="module")
async def stack(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, provider: RunningProvider
) -> AsyncIterator[Stack]:
    sso = SsoSettings(
        issuer=provider.issuer,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        display_name="Test Directory",
        # Every request of a single sign-on session asks the provider again, so the
        # test sees the cut at the very next request after the provider's change.
        recheck_every=timedelta(0),
    )
    accounts = AccountSettings(public_url=SITE, sso=sso)
    async with running_stack(dev_env.client, pool, accounts) as stack:
        await stack.add_user("manager", Role.PROGRAMME_MANAGER)
        yield stack


def browser(stack: Stack) -> httpx.AsyncClient:
    """A browser: the dashboard in-process, the provider over loopback HTTP, one cookie jar."""
    return httpx.AsyncClient(
        mounts={SITE: httpx.ASGITransport(app=stack.app)}, follow_redirects=True, timeout=30
    )


async def at_provider(http: httpx.AsyncClient, start: str, login: str) -> httpx.Response:
    """Press "Sign in with" (or "Link with"), type the directory login at the provider's
    form, and come back: the answer of the dashboard's callback."""
    page = await http.get(start) if start.startswith("http") else await http.get(SITE + start)
    assert page.url.host == "127.0.0.1", page.text
    form = re.search(r'action="(/interaction/[^"]+/login)"', page.text)
    assert form, page.text
    return await http.post(
        f"{page.url.scheme}://{page.url.netloc.decode()}{form.group(1)}",
        data={"login": login, "password": PASSWORDS[login]},
    )


async def invite(stack: Stack, name: str, role: Role = Role.OBSERVER) -> None:
    body = {"name": name, "email": f"{name}@example.org", "role": role.value}
    async with stack.http("manager") as http:
        answer = await http.post("/users", json={**body, "reason": "joins through the directory"})
    assert answer.status_code == 201, answer.text


async def test_the_login_page_offers_the_provider(stack: Stack) -> None:
    async with browser(stack) as http:
        page = await http.get(f"{SITE}/ui/login")
    assert "Sign in with Test Directory" in page.text


async def test_an_invited_person_signs_in_through_the_provider(stack: Stack) -> None:
    await invite(stack, "sso.newcomer")
    async with browser(stack) as http:
        back = await at_provider(http, "/ui/sso/start?next=/ui/account", "sub-newcomer")
        assert back.status_code == 200 and back.url.path == "/ui/sso/callback", back.text
        account = await http.get(f"{SITE}/ui/account")
        assert account.status_code == 200 and account.url.path == "/ui/account"
        assert "sso.newcomer" in account.text and 'id="sso-linked"' in account.text
        # The session is re-checked with the provider at each request (refresh tokens
        # rotate): it goes on while the provider says yes.
        again = await http.get(f"{SITE}/ui/plans")
        assert again.status_code == 200 and again.url.path == "/ui/plans"
    events = await stack.app.state.context.store.read_stream(f"{STREAM_PREFIX}sso.newcomer")
    assert [e.type for e in events][-2:] == ["user_linked", "user_activated"]
    assert events[-2].data == {
        "name": "sso.newcomer",
        "issuer": stack.app.state.context.accounts.sso.issuer,
        "subject": "sub-newcomer",
    }
    assert events[-1].data["method"] == "sso"
    tokens = await stack.pool.fetchval(
        "SELECT count(*) FROM sessions WHERE name = 'sso.newcomer'"
        " AND sso_refresh_token IS NOT NULL"
    )
    assert tokens == 1


async def test_a_signed_in_person_links_their_account(stack: Stack) -> None:
    token = await stack.add_user("sso.linker", Role.FOCAL_POINT, "GHA")
    async with browser(stack) as http:
        await http.post(f"{SITE}/ui/login", data={"token": token, "next": "/ui/account"})
        account = await http.get(f"{SITE}/ui/account")
        csrf = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', account.text)
        assert csrf and "Link with Test Directory" in account.text
        page = await http.post(f"{SITE}/ui/account/sso-link", data={"csrf_token": csrf.group(1)})
        form = re.search(r'action="(/interaction/[^"]+/login)"', page.text)
        assert form, page.text
        await http.post(
            f"{page.url.scheme}://{page.url.netloc.decode()}{form.group(1)}",
            data={"login": "sub-linker", "password": PASSWORDS["sub-linker"]},
        )
    async with browser(stack) as http:
        await at_provider(http, "/ui/sso/start", "sub-linker")
        plans = await http.get(f"{SITE}/ui/plans")
        assert plans.url.path == "/ui/plans" and "sso.linker" in plans.text


async def test_an_unknown_subject_is_refused_without_naming_an_account(stack: Stack) -> None:
    # An invitation waits for sso.unverified@, but the provider does not vouch for it.
    await invite(stack, "sso.unverified")
    async with browser(stack) as http:
        stranger = await at_provider(http, "/ui/sso/start", "sub-stranger")
        assert stranger.status_code == 403 and NOT_LINKED in stranger.text
    async with browser(stack) as http:
        unverified = await at_provider(http, "/ui/sso/start", "sub-unverified")
        assert unverified.status_code == 403 and NOT_LINKED in unverified.text
        plans = await http.get(f"{SITE}/ui/plans")
        assert plans.url.path == "/ui/login"
    person = await stack.pool.fetchrow("SELECT * FROM users WHERE name = 'sso.unverified'")
    assert person is not None
    assert person["status"] == "invited" and person["sso_subject"] is None


async def test_a_person_disabled_at_the_provider_is_cut_in_session_and_at_sign_in(
    stack: Stack, provider: RunningProvider
) -> None:
    await invite(stack, "sso.leaver")
    async with browser(stack) as http:
        await at_provider(http, "/ui/sso/start", "sub-leaver")
        assert (await http.get(f"{SITE}/ui/plans")).url.path == "/ui/plans"
        provider.disable("sub-leaver")
        try:
            # The live session asks the provider at this request, and ends.
            cut = await http.get(f"{SITE}/ui/plans")
            assert cut.url.path == "/ui/login"
            # This browser still has its session at the provider: the provider's answer
            # comes back with a code, which it then refuses to exchange.
            again = await http.get(f"{SITE}/ui/sso/start")
            assert again.status_code in (400, 401, 403), again.text
            assert (await http.get(f"{SITE}/ui/plans")).url.path == "/ui/login"
        finally:
            provider.enable("sub-leaver")
    record = await events_of_day(stack.store, datetime.now(UTC).date())
    ended = [e for e in record if e.get("account") == "sso.leaver"]
    assert any(e["type"] == "sso_access_ended" for e in ended), ended
    refused = [e for e in record if e["type"] == "sign_in_failed" and e.get("via") == "sso"]
    assert any(str(e["why"]).startswith("code: invalid_grant") for e in refused), refused


async def test_a_bad_state_and_a_replayed_code_are_refused(stack: Stack) -> None:
    await invite(stack, "sso.replayer")
    async with browser(stack) as http:
        http.follow_redirects = False
        bogus = await http.get(f"{SITE}/ui/sso/callback?state=made-up&code=made-up")
        assert bogus.status_code == 400 and "was not started in this browser" in bogus.text
        answer = await http.get(f"{SITE}/ui/sso/start")
        page = await http.get(answer.headers["location"])
        page = await http.get(str(page.url.join(page.headers["location"])))
        form = re.search(r'action="(/interaction/[^"]+/login)"', page.text)
        assert form
        step = await http.post(
            str(page.url.join(form.group(1))),
            data={"login": "sub-stranger", "password": PASSWORDS["sub-stranger"]},
        )
        while not step.headers["location"].startswith(SITE):
            step = await http.get(str(step.url.join(step.headers["location"])))
        callback = step.headers["location"]
        first = await http.get(callback)
        assert first.status_code == 403  # a stranger, but the code was spent
        replayed = await http.get(callback)
        assert replayed.status_code == 400 and "already used" in replayed.text
        # The same code under a fresh state of this browser: the provider refuses it.
        fresh = await http.get(f"{SITE}/ui/sso/start")
        state = parse_qs(urlsplit(fresh.headers["location"]).query)["state"][0]
        code = parse_qs(urlsplit(callback).query)["code"][0]
        reused = await http.get(f"{SITE}/ui/sso/callback", params={"state": state, "code": code})
        assert reused.status_code == 400 and "refused the sign-in code" in reused.text
