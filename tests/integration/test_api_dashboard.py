"""The dashboard over HTTP: sessions, CSRF, server-side refusals, pages and their headers."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

import httpx

from domain.regions import Region, region_of
from eventstore import PostgresEventStore
from tests.support.api_stack import API_YEAR, Stack, api_plan, stack_fixture
from tests.support.ids import unique_country
from tests.support.plans import Stage

COUNTRY = unique_country(year=API_YEAR)
AWAY = unique_country(year=API_YEAR)
PLAN = f"{COUNTRY}-2026"


async def prepared(stack: Stack) -> None:
    await stack.add_users("manager")
    await stack.add_users("focal", "head", country=COUNTRY)
    await stack.add_users("away.focal", country=AWAY)
    await api_plan(stack, COUNTRY, focal="focal", head="head").advance(Stage.UNDER_REVIEW)
    await stack.settle()


stack = stack_fixture(prepared)


@contextlib.asynccontextmanager
async def browser(
    stack: Stack, user: str, base: str = "http://acip.test"
) -> AsyncIterator[httpx.AsyncClient]:
    """A client that logged in through the form, as a browser does (cookies kept)."""
    transport = httpx.ASGITransport(app=stack.app)
    async with httpx.AsyncClient(transport=transport, base_url=base) as client:
        response = await client.post("/ui/login", data={"token": stack.tokens[user], "next": ""})
        assert response.status_code == 303, response.text
        yield client


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


async def stream_version(stack: Stack) -> int:
    return await PostgresEventStore(stack.pool).stream_version(f"plan-{PLAN}")


async def test_pages_need_a_session_and_redirect_to_the_login(stack: Stack) -> None:
    async with stack.http() as http:
        page = await http.get(f"/ui/plans/{PLAN}")
        assert page.status_code == 303
        assert page.headers["location"] == f"/ui/login?next=/ui/plans/{PLAN}"
        wrong = await http.post("/ui/login", data={"token": "acip_wrong", "next": "/ui/plans"})
        assert wrong.status_code == 401 and "unknown or revoked" in wrong.text
        evil = await http.post(
            "/ui/login", data={"token": stack.tokens["focal"], "next": "https://evil.example/"}
        )
        assert evil.headers["location"] == "/ui/plans"  # no open redirect
        cross_site = await http.post(
            "/ui/login",
            data={"token": stack.tokens["focal"]},
            headers={"Origin": "https://evil.example"},
        )
        assert cross_site.status_code == 403 and "set-cookie" not in cross_site.headers


async def test_the_session_cookie_is_httponly_strict_and_secure_over_https(stack: Stack) -> None:
    async with (
        browser(stack, "focal") as plain,
        browser(stack, "focal", base="https://acip.test") as secure,
    ):
        login = await plain.post("/ui/login", data={"token": stack.tokens["focal"]})
        cookie = login.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
        over_tls = await secure.post("/ui/login", data={"token": stack.tokens["focal"]})
        assert "secure" in over_tls.headers["set-cookie"].lower()
        page = await plain.get("/ui/plans")
        assert page.status_code == 200 and PLAN in page.text
        for header in ("content-security-policy", "x-frame-options", "x-content-type-options"):
            assert header in page.headers


async def test_forms_without_the_session_token_are_refused(stack: Stack) -> None:
    before = await stream_version(stack)
    async with browser(stack, "head") as head:
        forged = await head.post(
            f"/ui/plans/{PLAN}/commands", data={"type": "approve_plan", "csrf_token": "0" * 64}
        )
        missing = await head.post(f"/ui/plans/{PLAN}/commands", data={"type": "approve_plan"})
    assert forged.status_code == missing.status_code == 403
    assert "reload the page" in forged.text
    assert await stream_version(stack) == before


async def test_a_role_without_the_right_is_refused_by_the_server(stack: Stack) -> None:
    before = await stream_version(stack)
    async with browser(stack, "focal") as focal:
        page = await focal.get(f"/ui/plans/{PLAN}")
        assert "Approve plan" not in page.text  # the button is not offered ...
        answer = await focal.post(  # ... and a hand-made form is refused all the same
            f"/ui/plans/{PLAN}/commands",
            data={"type": "approve_plan", "csrf_token": csrf_of(page.text)},
        )
    assert answer.status_code == 403
    assert 'role="alert"' in answer.text and "not_permitted" in answer.text
    assert await stream_version(stack) == before


async def test_invalid_form_input_is_shown_by_field(stack: Stack) -> None:
    async with browser(stack, "head") as head:
        page = await head.get(f"/ui/plans/{PLAN}")
        answer = await head.post(
            f"/ui/plans/{PLAN}/commands",
            data={"type": "request_changes", "reason": "", "csrf_token": csrf_of(page.text)},
        )
    assert answer.status_code == 422
    assert "reason:" in answer.text


async def test_approve_through_the_form_then_see_it(stack: Stack) -> None:
    async with browser(stack, "head") as head:
        page = await head.get(f"/ui/plans/{PLAN}")
        version = re.search(r'name="expected_version" value="(\d+)"', page.text)
        assert version
        # What every form of the page carries besides its command's own fields.
        hidden = {"expected_version": version.group(1), "csrf_token": csrf_of(page.text)}
        answer = await head.post(
            f"/ui/plans/{PLAN}/commands",
            data={"type": "approve_plan", "comment": "Fine", **hidden},
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/ui/plans/{PLAN}?done=approve_plan"
        after = await head.get(answer.headers["location"])
        assert "Your approval is recorded." in after.text
        assert "head approved the plan" in after.text
        stale = await head.post(
            f"/ui/plans/{PLAN}/commands",
            data={"type": "request_changes", "reason": "Too late", **hidden},
        )
        assert stale.status_code == 409 and "version_conflict" in stale.text


async def test_other_countries_pages_are_not_found(stack: Stack) -> None:
    async with browser(stack, "away.focal") as away:
        listing = await away.get("/ui/plans")
        assert PLAN not in listing.text
        for path in (f"/ui/plans/{PLAN}", f"/ui/plans/{PLAN}/history"):
            page = await away.get(path)
            assert page.status_code == 404, path
            assert "There is no plan" in page.text


async def test_open_a_plan_from_the_form_and_log_out(stack: Stack) -> None:
    country = unique_country(year=API_YEAR)
    async with browser(stack, "manager") as manager:
        page = await manager.get("/ui/plans")
        answer = await manager.post(
            "/ui/plans",
            data={
                "country": country.lower(),
                "administration": "Customs",
                "title": "Integrity plan",
                "period_start": "2026-01-01",
                "period_end": "2027-12-31",
                "csrf_token": csrf_of(page.text),
            },
        )
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == f"/ui/plans/{country}-2026?done=open_plan"
        shown = await manager.get(answer.headers["location"])
        assert "The plan is open." in shown.text and "Record a diagnostic finding" in shown.text
        assert "0 of 10 key factors assessed" in shown.text
        recorded = await manager.post(
            f"/ui/plans/{country}-2026/commands",
            data={
                "type": "record_diagnostic_finding",
                "key_factor": "leadership_and_commitment",
                "maturity": "3",
                "summary": "An integrity committee exists",
                "csrf_token": csrf_of(shown.text),
            },
        )
        shown = await manager.get(recorded.headers["location"])
        assert "1 of 10 key factors assessed" in shown.text
        # The form now offers the next key factor to assess.
        assert '<option value="regulatory_framework" selected>' in shown.text
        out = await manager.post("/ui/logout", data={"csrf_token": csrf_of(shown.text)})
        assert out.status_code == 303 and 'acip_token=""' in out.headers["set-cookie"]


async def test_overdue_audit_and_history_pages_render(stack: Stack) -> None:
    async with browser(stack, "manager") as manager:
        overdue = await manager.get("/ui/overdue")
        audit = await manager.get("/ui/audit")
        history = await manager.get(f"/ui/plans/{PLAN}/history", params={"as_of_version": "1"})
        bad = await manager.get(f"/ui/plans/{PLAN}/history", params={"as_of_version": "0"})
        static = await manager.get("/static/vendor/chart.umd.min.js")
    assert overdue.status_code == 200 and "Overdue milestones" in overdue.text
    assert audit.status_code == 200 and "Hash chain intact" in audit.text
    assert history.status_code == 200 and "As of version 1" in history.text
    assert bad.status_code == 422
    assert static.status_code == 200 and "Chart.js v4" in static.text[:200]


async def test_portfolio_is_the_managers_home_with_the_grid_and_filters(stack: Stack) -> None:
    async with browser(stack, "manager") as manager:
        home = await manager.get("/ui/")
        page = await manager.get("/ui/portfolio")
        none_in_closed = await manager.get("/ui/portfolio", params={"phase": "closed"})
        too_long = await manager.get("/ui/portfolio", params={"donor": "x" * 41})
        home_region = region_of(PLAN[:3])
        elsewhere = next(r for r in Region if r is not home_region)
        in_region = await manager.get("/ui/portfolio", params={"region": home_region or ""})
        other_region = await manager.get("/ui/plans", params={"region": elsewhere.value})
    assert home.headers["location"] == "/ui/portfolio"
    # The region filter: the plan's own region (or none) shows it, another does not.
    assert f'href="/ui/plans/{PLAN}"' in in_region.text
    assert f'href="/ui/plans/{PLAN}"' not in other_region.text
    assert f'<option value="{elsewhere.value}" selected>' in other_region.text
    assert "/exports/portfolio/trend?format=csv" in page.text
    assert page.status_code == 200
    # The plan's column, its phase, and the plan page's words and colours for each factor.
    assert f'href="/ui/plans/{PLAN}"' in page.text and "phase-under_review" in page.text
    columns = page.text.count('<th scope="col"><a href="/ui/plans/')
    assert columns >= 1 and page.text.count("status status-") == 10 * columns
    assert PLAN not in none_in_closed.text
    assert too_long.status_code == 422
    async with browser(stack, "focal") as focal:
        focal_home = await focal.get("/ui/")
    assert focal_home.headers["location"] == "/ui/plans"
