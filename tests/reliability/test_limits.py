"""Limits: request body size (413), page size (422 above the maximum), failed logins (429)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.limits import DEFAULT_MAX_BODY_BYTES
from api.ratelimit import DEFAULT_MAX_FAILURES, FailedLoginLimiter
from tests.support.api_stack import API_YEAR, Stack, api_plan, plan_body, stack_fixture
from tests.support.ids import unique_country
from tests.support.plans import Stage

HOME = unique_country(year=API_YEAR)


async def prepared(stack: Stack) -> None:
    await stack.add_users("manager")
    await stack.add_users("focal", "head", country=HOME)
    await api_plan(stack, HOME, focal="focal", head="head").advance(Stage.DRAFTING)
    await stack.settle()


stack = stack_fixture(prepared)


async def fresh_app(stack: Stack) -> FastAPI:
    """Another API process on the same database, after the failures so far are forgotten
    (the counts live in the database, shared by every API process)."""
    await stack.pool.execute("DELETE FROM login_failures")
    return create_app(stack.app.state.context)


def client(
    app: FastAPI, address: str = "192.0.2.10", token: str | None = None
) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 50000)),
        base_url="http://acip.test",
        headers=headers,
    )


async def test_a_body_over_the_limit_is_refused_413_declared_or_streamed(stack: Stack) -> None:
    command = {
        "type": "add_milestone",
        "milestone_id": "M1",
        "title": "t",
        "key_factor": "automation",
        "due_date": "2026-06-30",
        "description": "x" * DEFAULT_MAX_BODY_BYTES,
    }
    body = json.dumps(command).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    async with stack.http("focal") as http:
        declared = await http.post(f"/plans/{HOME}-2026/commands", content=body)
        streamed = await http.post(f"/plans/{HOME}-2026/commands", content=chunks())
        opened = await http.post("/plans", content=body)
    for response in (declared, streamed, opened):
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large"
    async with stack.http("manager") as http:
        events = (await http.get(f"/plans/{HOME}-2026/events")).json()["events"]
    assert "milestone_added" not in {e["type"] for e in events}


@pytest.mark.parametrize(
    ("path", "maximum"),
    [
        ("/plans", 500),
        (f"/plans/{HOME}-2026/audit", 500),
        (f"/plans/{HOME}-2026/events", 5000),
        ("/notifications", 500),
    ],
)
async def test_page_size_above_the_maximum_is_422(stack: Stack, path: str, maximum: int) -> None:
    async with stack.http("manager") as http:
        at_max = await http.get(path, params={"limit": maximum})
        over = await http.get(path, params={"limit": maximum + 1})
        zero = await http.get(path, params={"limit": 0})
    assert at_max.status_code == 200
    for response in (over, zero):
        assert response.status_code == 422
        assert response.json()["details"][0]["field"] == "limit"


async def test_failed_logins_from_one_address_are_throttled_429(stack: Stack) -> None:
    app = await fresh_app(stack)
    good = stack.tokens["manager"]
    async with client(app) as guesser:
        statuses = [
            (
                await guesser.get("/plans", headers={"Authorization": f"Bearer acip_guess{n}"})
            ).status_code
            for n in range(DEFAULT_MAX_FAILURES)
        ]
        blocked = await guesser.get("/plans", headers={"Authorization": "Bearer acip_guessX"})
        right_guess = await guesser.get("/plans", headers={"Authorization": f"Bearer {good}"})
    assert statuses == [401] * DEFAULT_MAX_FAILURES
    assert blocked.status_code == 429 and blocked.json()["error"] == "too_many_requests"
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    # Blocked means blocked: a right token from that address waits too.
    assert right_guess.status_code == 429
    # Someone else is not affected, and asking without a token is not a failed login.
    async with client(app, "127.0.0.99", good) as colleague:
        assert (await colleague.get("/plans")).status_code == 200
    async with client(app, "127.0.0.98") as anonymous:
        for _ in range(DEFAULT_MAX_FAILURES + 2):
            assert (await anonymous.get("/plans")).status_code == 401


async def test_failed_logins_with_one_token_prefix_from_many_addresses_are_throttled(
    stack: Stack,
) -> None:
    app = await fresh_app(stack)
    leaked = stack.tokens["focal"][:12]
    statuses = []
    for n in range(DEFAULT_MAX_FAILURES + 1):
        async with client(app, f"127.0.1.{n + 1}", f"{leaked}guess{n}") as guesser:
            statuses.append((await guesser.get("/plans")).status_code)
    assert statuses == [401] * DEFAULT_MAX_FAILURES + [429]


async def test_failed_dashboard_logins_are_throttled_too(stack: Stack) -> None:
    app = await fresh_app(stack)
    async with client(app, "127.0.0.7") as browser:
        statuses = [
            (
                await browser.post("/ui/login", data={"token": f"acip_no{n}", "next": "/ui/plans"})
            ).status_code
            for n in range(DEFAULT_MAX_FAILURES + 1)
        ]
    assert statuses == [401] * DEFAULT_MAX_FAILURES + [429]


async def test_the_window_slides_and_old_failures_are_deleted(stack: Stack) -> None:
    await stack.pool.execute("DELETE FROM login_failures")
    limiter = FailedLoginLimiter(stack.pool, 3, 2.0)
    for _ in range(3):
        assert await limiter.retry_after(["ip:a"]) is None
        await limiter.record_failure(["ip:a", "token:acip_x"])
    wait = await limiter.retry_after(["ip:b", "ip:a"])
    assert wait is not None and 0 < wait <= 2.0
    assert await limiter.retry_after(["ip:b"]) is None
    await asyncio.sleep(wait + 0.1)  # the first failure leaves the window
    assert await limiter.retry_after(["ip:a"]) is None
    # The next failure deletes every row older than the window: one window's worth is kept.
    await limiter.record_failure(["ip:c"])
    assert await stack.pool.fetchval("SELECT count(*) FROM login_failures") == 1
    with pytest.raises(ValueError):
        FailedLoginLimiter(stack.pool, 0, 60)


async def test_text_and_numbers_the_store_cannot_keep_are_refused_422(stack: Stack) -> None:
    """Found by test_fuzz: a NUL character or a number beyond 2**53 passed command parsing,
    then the store refused the event: the caller got a retryable 503 forever, and a refused
    open_plan left its workflow waiting, burning the plan id once it gave up."""
    country = unique_country(year=API_YEAR)
    async with stack.http("manager") as http:
        nul = await http.post("/plans", json={**plan_body(country), "title": "Plan\u0000"})
        opened = await http.post("/plans", json=plan_body(country))
        huge = await http.post(
            f"/plans/{HOME}-2026/commands",
            json={"type": "define_indicator", "indicator_id": "I7", "name": "n",
                  "key_factor": "automation", "unit": "%", "baseline": 1e16, "target": 1},
        )  # fmt: skip
    assert (nul.status_code, nul.json()["details"][0]["field"]) == (422, "title")
    assert opened.status_code == 201
    assert (huge.status_code, huge.json()["details"][0]["field"]) == (422, "baseline")
