"""People sign in as themselves, against real parts: PostgreSQL, Temporal's dev server, an
aiosmtpd server on loopback that receives the invitation, and the dashboard over HTTP.

invite -> e-mail -> set password -> enrol TOTP -> sign in -> approve with a fresh code;
expired and reused links; a wrong code; a deactivated person's live session cut; a token
past its expiry; scopes; the users read model rebuilt equals the incremental one.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pyotp
import pytest
from temporalio.testing import WorkflowEnvironment

from api.context import AccountSettings
from api.credentials import hash_password
from api.people import STREAM_PREFIX, migrate_legacy_users, rebuild_users
from domain import Role
from eventstore import PostgresEventStore
from tests.support.api_stack import API_YEAR, Stack, api_plan, running_stack
from tests.support.ids import unique_country
from tests.support.mail import Inbox, smtp_server
from tests.support.plans import Stage

REFUSED = "The account, password or code is not right."
PASSWORD = "long enough and mine 42"


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    with smtp_server() as (inbox, _):
        yield inbox


@pytest.fixture(scope="module")
async def stack(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, inbox: Inbox
) -> AsyncIterator[Stack]:
    accounts = AccountSettings(public_url="http://acip.test", smtp=inbox.smtp, token_sign_in=True)
    async with running_stack(dev_env.client, pool, accounts) as stack:
        await stack.add_user("manager", Role.PROGRAMME_MANAGER)
        yield stack


def browser(stack: Stack) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=stack.app), base_url="http://acip.test"
    )


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


async def invite(stack: Stack, name: str, role: Role, country: str | None) -> None:
    body = {
        "name": name,
        "email": f"{name}@example.org",
        "role": role.value,
        "country": country,
        "reason": "joins the programme",
    }
    async with stack.http("manager") as http:
        response = await http.post("/users", json=body)
    assert response.status_code == 201, response.text


async def accept(stack: Stack, inbox: Inbox, name: str) -> str:
    """Follow the e-mailed link, set the password, enrol TOTP; returns the TOTP secret."""
    value = await inbox.welcome_token(f"{name}@example.org")
    async with browser(stack) as http:
        page = await http.get(f"/ui/welcome/{value}")
        assert page.status_code == 200 and "<svg" in page.text
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text)
        # The secret is shown to type once, never carried back by the form.
        assert secret and 'name="totp_secret"' not in page.text
        done = await http.post(
            f"/ui/welcome/{value}",
            data={
                "password": PASSWORD,
                "password_again": PASSWORD,
                "code": pyotp.TOTP(secret.group(1)).now(),
            },
        )
        assert done.status_code == 200, done.text
        assert len(re.findall(r"<li><code>[0-9a-f]{6}-[0-9a-f]{6}</code></li>", done.text)) == 10
        reused = await http.post(
            f"/ui/welcome/{value}", data={"password": PASSWORD, "password_again": PASSWORD}
        )
        assert reused.status_code == 410 and "already used" in reused.text
    return secret.group(1)


async def sign_in(http: httpx.AsyncClient, login: str, password: str, code: str) -> httpx.Response:
    return await http.post(
        "/ui/login", data={"login": login, "password": password, "code": code, "next": "/ui/plans"}
    )


async def test_invite_enrol_sign_in_and_approve_with_a_fresh_code(
    stack: Stack, inbox: Inbox
) -> None:
    country = unique_country(year=API_YEAR)
    head = f"{country.lower()}.head"
    await stack.add_user(f"{country.lower()}.focal", Role.FOCAL_POINT, country)
    await invite(stack, head, Role.HEAD_OF_ADMINISTRATION, country)
    secret = await accept(stack, inbox, head)
    flow = api_plan(stack, country, focal=f"{country.lower()}.focal", head=head)
    await flow.advance(Stage.UNDER_REVIEW)
    await stack.settle()
    totp = pyotp.TOTP(secret)
    async with browser(stack) as http:
        wrong = await sign_in(http, head, PASSWORD, "000000")
        unknown = await sign_in(http, "nobody.here", PASSWORD, "000000")
        # A wrong code and an account that does not exist read the same.
        assert wrong.status_code == unknown.status_code == 401
        assert REFUSED in wrong.text and REFUSED in unknown.text
        # A code one step ahead is accepted (clock drift): the enrolment used this step's.
        code = totp.at(time.time() + 30)
        ok = await sign_in(http, f"{head}@example.org", PASSWORD, code)
        assert ok.status_code == 303, ok.text
        page = await http.get(f"/ui/plans/{flow.plan_id}")
        # Five minutes after signing in, the approval asks for a code again: age the proof.
        await stack.pool.execute(
            "UPDATE sessions SET second_factor_at = now() - interval '6 minutes' WHERE name = $1",
            head,
        )
        form = {"type": "approve_plan", "csrf_token": csrf_of(page.text)}
        stale = await http.post(f"/ui/plans/{flow.plan_id}/commands", data=form)
        assert stale.status_code == 403 and "fresh code" in stale.text
        await next_totp_step()
        approved = await http.post(
            f"/ui/plans/{flow.plan_id}/commands", data={**form, "code": totp.at(time.time() + 30)}
        )
        assert approved.status_code == 303, approved.text
    events = await PostgresEventStore(stack.pool).read_stream(f"plan-{flow.plan_id}")
    granted = [e for e in events if e.type == "plan_approval_granted"]
    assert granted[-1].metadata["confirmed_by"] == "totp"
    assert granted[-1].metadata["actor"] == head
    stream = await PostgresEventStore(stack.pool).read_stream(f"{STREAM_PREFIX}{head}")
    assert [e.type for e in stream] == [
        "user_invited",
        "user_activated",
        "password_changed",
        "second_factor_enrolled",
    ]
    # Nothing secret in the person's events.
    assert secret not in str([e.data for e in stream]) and PASSWORD not in str(stream)


async def test_an_expired_link_is_refused_clearly(stack: Stack, inbox: Inbox) -> None:
    await invite(stack, "late.observer", Role.OBSERVER, None)
    value = await inbox.welcome_token("late.observer@example.org")
    await stack.pool.execute(
        "UPDATE account_links SET expires_at = now() - interval '1 second' WHERE name = $1",
        "late.observer",
    )
    async with browser(stack) as http:
        page = await http.get(f"/ui/welcome/{value}")
        forged = await http.get("/ui/welcome/not-a-link")
    assert page.status_code == 410 and "expired" in page.text
    assert forged.status_code == 410 and "not valid" in forged.text


async def next_totp_step() -> None:
    """Wait for a new 30 s step: each code is accepted once, so a test that has just used
    one needs the next."""
    await asyncio.sleep(30 - time.time() % 30 + 0.1)


async def test_a_deactivated_persons_session_and_tokens_stop_at_once(
    stack: Stack, inbox: Inbox
) -> None:
    await invite(stack, "leaving.auditor", Role.AUDITOR, None)
    secret = await accept(stack, inbox, "leaving.auditor")
    async with browser(stack) as http:
        await next_totp_step()
        ok = await sign_in(http, "leaving.auditor", PASSWORD, pyotp.TOTP(secret).now())
        assert ok.status_code == 303
        assert (await http.get("/ui/security")).status_code == 200
        async with stack.http("manager") as admin:
            cut = await admin.post(
                "/users/leaving.auditor/commands",
                json={"type": "deactivate_user", "reason": "left WCO"},
            )
            assert cut.status_code == 200 and cut.json()["status"] == "deactivated"
        after = await http.get("/ui/security")
        assert after.status_code == 303 and after.headers["location"].startswith("/ui/login")


async def test_scopes_expiry_and_the_last_programme_manager(stack: Stack) -> None:
    async with stack.http("manager") as http:
        made = await http.post(
            "/users/manager/tokens", json={"label": "reader", "scopes": ["read"], "days": 30}
        )
        assert made.status_code == 201, made.text
        too_long = await http.post(
            "/users/manager/tokens", json={"label": "x", "scopes": ["read"], "days": 400}
        )
        assert too_long.status_code == 422
        last = await http.post(
            "/users/manager/commands",
            json={"type": "deactivate_user", "reason": "testing the rule"},
        )
        assert last.status_code == 409 and last.json()["rule"] == "last_programme_manager"
    reader = made.json()["token"]
    headers = {"Authorization": f"Bearer {reader}"}
    async with browser(stack) as http:
        assert (await http.get("/plans", headers=headers)).status_code == 200
        write = await http.post("/users", headers=headers, json={})
        assert write.status_code == 403 and write.json()["rule"] == "insufficient_scope"
        await stack.pool.execute(
            "UPDATE access_tokens SET expires_at = now() - interval '1 second' WHERE token_id = $1",
            uuid.UUID(made.json()["token_id"]),
        )
        expired = await http.get("/plans", headers=headers)
        assert expired.status_code == 401 and "expired" in expired.json()["message"]
    refused = await stack.pool.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = 'attempts-users' "
        "AND data->>'rule' = 'last_programme_manager'"
    )
    assert refused == 1
    # The token's missing scope is on the record too, like any refusal of a known person.
    scope_refusal = await stack.pool.fetchval(
        "SELECT data->>'command_type' FROM events WHERE stream_id = 'attempts-global' "
        "AND data->>'rule' = 'insufficient_scope' AND data->>'actor' = 'manager' "
        "ORDER BY global_position DESC LIMIT 1"
    )
    assert scope_refusal == "POST /users"


async def test_the_read_model_rebuilt_equals_the_incremental_one(stack: Stack) -> None:
    await stack.pool.execute(
        "INSERT INTO users (name, role, email, token_hash, stream_version) "
        "VALUES ('old.observer', 'observer', 'old@example.org', $1, 0)",
        hashlib.sha256(b"acip_legacy").hexdigest(),
    )
    assert await migrate_legacy_users(stack.pool, stack.store) == ["old.observer"]
    assert await migrate_legacy_users(stack.pool, stack.store) == []
    async with browser(stack) as http:
        legacy = await http.get("/plans", headers={"Authorization": "Bearer acip_legacy"})
    assert legacy.status_code == 200
    query = (
        "SELECT name, role, country, email, status, second_factor, stream_version, "
        "revoked_at IS NULL AS live FROM users ORDER BY name"
    )
    incremental = [dict(r) for r in await stack.pool.fetch(query)]
    assert await rebuild_users(stack.pool, stack.store) > 0
    assert [dict(r) for r in await stack.pool.fetch(query)] == incremental


async def test_failed_sign_ins_are_throttled_per_account_across_addresses(stack: Stack) -> None:
    await stack.add_user("guessed.observer", Role.OBSERVER)
    await stack.pool.execute(
        "INSERT INTO credentials (name, password_hash) VALUES ($1, $2)",
        "guessed.observer",
        hash_password(PASSWORD),
    )

    def from_address(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=stack.app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://acip.test")

    # Ten wrong guesses, two from each of five addresses: no address is throttled ...
    for n in range(10):
        async with from_address(f"198.51.100.{n // 2 + 1}") as http:
            wrong = await sign_in(http, "guessed.observer", f"guess number {n}", "")
            assert wrong.status_code == 401, wrong.text
    # ... but the account is, even for the right password from a new address.
    async with from_address("203.0.113.7") as http:
        right = await sign_in(http, "guessed.observer", PASSWORD, "")
        typed = await sign_in(http, "GUESSED.observer", PASSWORD, "")
    assert right.status_code == typed.status_code == 429
    assert "Too many failed sign-ins" in right.text
    failed = await stack.pool.fetchval(
        "SELECT count(*) FROM events WHERE stream_id LIKE 'security-%' "
        "AND type = 'sign_in_failed' AND data->>'account' = 'guessed.observer'"
    )
    assert failed == 10  # the refusals while throttled check no password: not counted


async def test_a_role_change_is_a_command_with_its_reason_and_rules(stack: Stack) -> None:
    await stack.add_user("moving.observer", Role.OBSERVER)
    async with stack.http("manager") as http:
        path = "/users/moving.observer/commands"

        async def change_role(role: str, reason: str) -> httpx.Response:
            body = {"type": "change_role", "role": role, "country": "GHA", "reason": reason}
            return await http.post(path, json=body)

        moved = await change_role("focal_point", "now GRA's focal point")
        assert moved.status_code == 200, moved.text
        assert (moved.json()["role"], moved.json()["country"]) == ("focal_point", "GHA")
        wrong = await change_role("auditor", "audits now")
        assert wrong.status_code == 422 and wrong.json()["rule"] == "country_not_allowed"
        unknown = await http.post(
            "/users/nobody.at.all/commands", json={"type": "deactivate_user", "reason": "never was"}
        )
        assert unknown.status_code == 404
        malformed = await http.post(path, json={"type": "promote", "reason": "x"})
        assert malformed.status_code == 422
    # The old role's token stopped with the change: new powers need a new credential.
    async with stack.http("moving.observer") as http:
        assert (await http.get("/plans")).status_code == 401
    stream = await PostgresEventStore(stack.pool).read_stream(f"{STREAM_PREFIX}moving.observer")
    changed = [e for e in stream if e.type == "user_role_changed"]
    assert changed[0].data["previous_role"] == "observer"
    assert changed[0].metadata["reason"] == "now GRA's focal point"
