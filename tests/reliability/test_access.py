"""Access: every endpoint x every role x own / other country, in tables written from the
domain contract (DOMAIN.md), not from the code under test; tokens stored hashed, revoked or
rotated tokens refused at once.

Commands are sent with a wrong ``expected_version``: a refusal for who-may-act comes first
(403 ``not_permitted``, or 404 for a plan out of the caller's scope), and an allowed command
stops at the version check (409), so the matrix changes no plan.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from api.users import revoke_user, rotate_token
from domain import Role
from tests.reliability.plans import VALID_FIELDS
from tests.support.api_stack import API_YEAR, Stack, get_as_browser, home_and_away, stack_fixture
from tests.support.ids import unique_country

HOME = unique_country(year=API_YEAR)
AWAY = unique_country(year=API_YEAR)
WRONG_VERSION = 999_999

# The "who" column of DOMAIN.md's command table.
PM, FP, HOA = "programme_manager", "focal_point", "head_of_administration"
WHO: dict[str, set[str]] = {
    "open_plan": {PM},
    "record_diagnostic_finding": {FP, PM},
    "complete_diagnostic": {FP, PM},
    "add_milestone": {FP, PM},
    "remove_milestone": {FP, PM},
    "define_indicator": {FP, PM},
    "remove_indicator": {FP, PM},
    "submit_for_approval": {FP, PM},
    "approve_plan": {HOA, PM},
    "request_changes": {HOA, PM},
    "report_milestone_progress": {FP, PM},
    "complete_milestone": {FP, PM},
    "reschedule_milestone": {PM},
    "record_measurement": {FP, PM},
    "revise_indicator_target": {PM},
    "start_evaluation": {PM},
    "rate_key_factor": {PM},
    "close_plan": {PM},
    "cancel_plan": {PM},
}


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    country: str | None = None

    def sees(self, country: str) -> bool:
        """DOMAIN.md: global roles see every country; the others only their own."""
        return self.country is None or self.country == country


USERS = (
    User("manager", Role.PROGRAMME_MANAGER),
    User("auditor", Role.AUDITOR),
    User("observer", Role.OBSERVER),
    User("home.observer", Role.OBSERVER, HOME),
    User("home.focal", Role.FOCAL_POINT, HOME),
    User("home.head", Role.HEAD_OF_ADMINISTRATION, HOME),
)
PLAN_READS = (
    "/plans/{plan}",
    "/plans/{plan}?as_of_version=1",
    "/plans/{plan}/milestones",
    "/plans/{plan}/indicators",
    "/plans/{plan}/benchmarks",
    "/plans/{plan}/audit",
    "/plans/{plan}/events",
    "/audit/verify?plan_id={plan}",
    "/notifications?plan_id={plan}",
)


async def prepared(stack: Stack) -> None:
    for user in USERS:
        await stack.add_user(user.name, user.role, user.country)
    await home_and_away(stack, HOME, AWAY, prefixes=("home", "away"))
    await stack.settle()


stack = stack_fixture(prepared)


def expected_read(user: User, path: str, country: str) -> tuple[int, str | None]:
    if path.startswith("/notifications") and user.role is Role.OBSERVER:
        return 403, "not_permitted"  # recipients are staff data
    return (200, None) if user.sees(country) else (404, "plan_not_found")


def expected_command(user: User, kind: str, country: str) -> tuple[int, str]:
    if not user.sees(country):
        return 404, "plan_not_found"
    if user.role.value not in WHO[kind]:
        return 403, "not_permitted"
    return 409, "plan_exists" if kind == "open_plan" else "version_conflict"


def command_body(kind: str, country: str) -> dict[str, Any]:
    if kind == "open_plan":
        # An id used already: refused as such (with expected_version, dispatch's local check
        # of open_plan would answer version_conflict with "actual version 0").
        return {
            "type": kind,
            "country": country,
            "administration": "a",
            "title": "t",
            "period_start": "2026-01-01",
            "period_end": "2028-12-31",
        }
    return {"type": kind, **VALID_FIELDS[kind], "expected_version": WRONG_VERSION}


async def call(stack: Stack, user: str, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    async with stack.http(user) as http:
        response = await http.request(method, path, **kwargs)
    return response.status_code, response.json()


async def test_every_plan_read_for_every_role_and_country(stack: Stack) -> None:
    table = [
        (user, path, country) for user in USERS for path in PLAN_READS for country in (HOME, AWAY)
    ]
    mismatches = []
    for user, path, country in table:
        status, body = await call(stack, user.name, "GET", path.format(plan=f"{country}-2026"))
        want_status, want_rule = expected_read(user, path, country)
        if status != want_status or (want_rule and body.get("rule") != want_rule):
            mismatches.append((user.name, path, country, status, body.get("rule")))
    assert mismatches == [], mismatches
    assert len(table) == 108


async def test_lists_show_only_what_the_role_may_see(stack: Stack) -> None:
    for user in USERS:
        visible = {c for c in (HOME, AWAY) if user.sees(c)}
        status, body = await call(stack, user.name, "GET", "/plans")
        assert status == 200
        assert {p["plan_id"][:3] for p in body["plans"]} == visible, user.name
        status, body = await call(stack, user.name, "GET", "/milestones/overdue")
        assert status == 200 and {m["country"] for m in body["milestones"]} <= visible
        assert HOME in {m["country"] for m in body["milestones"]}  # M1 is overdue at HOME
        status, body = await call(stack, user.name, "GET", "/notifications")
        if user.role is Role.OBSERVER:
            assert (status, body["rule"]) == (403, "not_permitted")
        else:
            assert status == 200 and {n["country"] for n in body["notifications"]} <= visible
        status, body = await call(stack, user.name, "GET", "/audit/verify")
        if user.role in (Role.PROGRAMME_MANAGER, Role.AUDITOR):
            assert status == 200 and body["ok"] is True
        else:
            assert (status, body["rule"]) == (403, "not_permitted"), user.name


async def test_every_command_for_every_role_and_country(stack: Stack) -> None:
    table = [(user, kind, country) for user in USERS for kind in WHO for country in (HOME, AWAY)]
    before = await versions(stack)
    mismatches = []
    for user, kind, country in table:
        status, body = await call(
            stack,
            user.name,
            "POST",
            f"/plans/{country}-2026/commands",
            json=command_body(kind, country),
        )
        want = expected_command(user, kind, country)
        if (status, body.get("rule")) != want:
            mismatches.append((user.name, kind, country, status, body.get("rule")))
    assert mismatches == [], mismatches
    assert len(table) == 228
    # POST /plans: only a programme manager may open (here: an existing id, so 409).
    for user in USERS:
        for country in (HOME, AWAY):
            status, body = await call(
                stack, user.name, "POST", "/plans", json=command_body("open_plan", country)
            )
            want = (409, "plan_exists") if user.role is Role.PROGRAMME_MANAGER else (
                403, "not_permitted")  # fmt: skip
            assert (status, body.get("rule")) == want, (user.name, country)
    # Nothing of the matrix reached a plan: versions are where the set-up left them.
    assert await versions(stack) == before


async def versions(stack: Stack) -> dict[str, int]:
    found = {}
    for country in (HOME, AWAY):
        _, body = await call(stack, "manager", "GET", f"/plans/{country}-2026/events")
        found[country] = len(body["events"])
    return found


async def test_tokens_are_stored_hashed_and_refused_once_revoked(stack: Stack) -> None:
    rows = await stack.pool.fetch("SELECT * FROM users")
    tokens = await stack.pool.fetch("SELECT * FROM access_tokens")
    stored = " ".join(str(value) for row in [*rows, *tokens] for value in row.values())
    for name, token in stack.tokens.items():
        assert token not in stored, name
        hashes = {r["token_hash"] for r in tokens if r["name"] == name}
        assert hashlib.sha256(token.encode()).hexdigest() in hashes

    token = await stack.add_user("leaver", Role.AUDITOR)
    assert (await call(stack, "leaver", "GET", "/plans"))[0] == 200
    await revoke_user(stack.pool, stack.store, "leaver")
    status, body = await call(stack, "leaver", "GET", "/plans")
    assert (status, body["error"]) == (401, "unauthorized")
    page = await get_as_browser(stack.app, token, "/ui/plans")
    assert page.status_code == 303 and page.headers["location"].startswith("/ui/login")

    await stack.add_user("rotator", Role.AUDITOR)
    old = stack.tokens["rotator"]
    stack.tokens["rotator"] = await rotate_token(stack.pool, stack.store, "rotator")
    assert (await call(stack, "rotator", "GET", "/plans"))[0] == 200
    stack.tokens["rotator.old"] = old
    assert (await call(stack, "rotator.old", "GET", "/plans"))[0] == 401
