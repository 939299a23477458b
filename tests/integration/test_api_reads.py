"""Every read endpoint, scoped by role and country; history replay; verify; notifications."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest

from domain import Role
from tests.support.api_stack import API_YEAR, Stack, home_and_away, stack_fixture
from tests.support.ids import unique_country
from tests.support.polling import eventually

HOME = unique_country(year=API_YEAR)  # in implementation, M1 overdue
AWAY = unique_country(year=API_YEAR)  # under review, another country
READ_ENDPOINTS = ["", "/milestones", "/indicators", "/benchmarks", "/audit", "/events"]


async def prepared(stack: Stack) -> None:
    await stack.add_users("manager", "auditor", "observer")
    await stack.add_users("home.observer", country=HOME)
    home, _ = await home_and_away(stack, HOME, AWAY)
    await home.ok(
        home.focal, type="record_measurement", indicator_id="I1", value=30,
        measured_on="2026-06-30",
    )  # fmt: skip
    await wait_for_overdue(stack, home.plan_id)


stack = stack_fixture(prepared)


async def wait_for_overdue(stack: Stack, plan_id: str) -> None:
    """M1 was due 2026-03-31: the workflow catches the deadline up as soon as it is armed."""

    async def summary() -> dict[str, Any]:
        await stack.settle()
        async with stack.http("manager") as http:
            body: dict[str, Any] = (await http.get(f"/plans/{plan_id}")).json()
        return body

    await eventually(
        summary,
        until=lambda body: body["milestones_overdue"] == 1,
        within=30,
        what=f"M1 of {plan_id} to be overdue",
    )


async def get(
    stack: Stack, user: str | None, path: str, **params: str | int
) -> tuple[int, dict[str, Any]]:
    async with stack.http(user) as http:
        response = await http.get(path, params=params)
    return response.status_code, response.json()


async def test_plan_list_filters_paginates_and_scopes(stack: Stack) -> None:
    status, body = await get(stack, "manager", "/plans")
    assert status == 200
    assert [p["plan_id"] for p in body["plans"]] == sorted([f"{HOME}-2026", f"{AWAY}-2026"])
    _, review = await get(stack, "manager", "/plans", phase="under_review")
    assert [p["plan_id"] for p in review["plans"]] == [f"{AWAY}-2026"]
    _, by_country = await get(stack, "auditor", "/plans", country=HOME)
    assert [p["plan_id"] for p in by_country["plans"]] == [f"{HOME}-2026"]
    _, first = await get(stack, "manager", "/plans", limit=1)
    _, second = await get(stack, "manager", "/plans", limit=1, offset=1)
    assert first["next_offset"] == 1 and len(first["plans"]) == len(second["plans"]) == 1
    assert first["plans"][0]["plan_id"] != second["plans"][0]["plan_id"]

    _, mine = await get(stack, f"{HOME}.focal", "/plans")
    assert [p["plan_id"] for p in mine["plans"]] == [f"{HOME}-2026"]
    _, theirs = await get(stack, f"{HOME}.focal", "/plans", country=AWAY)
    assert theirs["plans"] == []
    _, scoped = await get(stack, "home.observer", "/plans")
    assert [p["plan_id"] for p in scoped["plans"]] == [f"{HOME}-2026"]
    bad, _ = await get(stack, "manager", "/plans", phase="dreaming")
    assert bad == 422


async def test_plan_summary_shows_phase_approvals_and_counts(stack: Stack) -> None:
    status, plan = await get(stack, "observer", f"/plans/{HOME}-2026")
    assert status == 200
    assert plan["phase"] == "implementation"
    assert {a["role"] for a in plan["approvals"]} == {"head_of_administration", "programme_manager"}
    assert plan["submitted_by"] == f"{HOME}.focal"
    assert (plan["milestones_total"], plan["milestones_overdue"]) == (1, 1)
    assert plan["worst_status"] in {"on_track", "at_risk", "off_track"}


@pytest.mark.parametrize("suffix", READ_ENDPOINTS)
async def test_another_countrys_plan_is_invisible_on_every_endpoint(
    stack: Stack, suffix: str
) -> None:
    hidden_status, hidden = await get(stack, f"{HOME}.focal", f"/plans/{AWAY}-2026{suffix}")
    missing_status, missing = await get(stack, f"{HOME}.focal", f"/plans/{HOME}-1999{suffix}")
    assert hidden_status == missing_status == 404
    assert hidden["rule"] == missing["rule"] == "plan_not_found"
    observer_status, _ = await get(stack, "home.observer", f"/plans/{AWAY}-2026{suffix}")
    assert observer_status == 404
    own_status, _ = await get(stack, f"{AWAY}.head", f"/plans/{AWAY}-2026{suffix}")
    assert own_status == 200


async def test_milestones_indicators_and_benchmarks(stack: Stack) -> None:
    _, milestones = await get(stack, "manager", f"/plans/{HOME}-2026/milestones")
    (m1,) = milestones["milestones"]
    assert m1["milestone_id"] == "M1" and m1["due_date"] == "2026-03-31"
    assert m1["overdue_since"].startswith("2026-04-01") and m1["escalated"] is True
    _, indicators = await get(stack, "manager", f"/plans/{HOME}-2026/indicators")
    (i1,) = indicators["indicators"]
    assert [m["value"] for m in i1["measurements"]] == [30]
    assert (i1["baseline"], i1["target"], i1["latest_value"]) == (10, 90, 30)
    _, benchmarks = await get(stack, "observer", f"/plans/{HOME}-2026/benchmarks")
    factors = {b["key_factor"]: b for b in benchmarks["key_factors"]}
    assert len(factors) == 10
    code = factors["code_of_conduct"]
    # progress (30-10)/80 = 0.25 against 181/1095 of the period elapsed: on track.
    assert code["status"] == "on_track"
    assert code["milestones_overdue"] == 1
    assert factors["automation"]["status"] == "not_covered"


async def test_audit_trail_is_paginated_and_described(stack: Stack) -> None:
    _, page = await get(stack, "auditor", f"/plans/{HOME}-2026/audit", limit=5)
    assert [e["version"] for e in page["entries"]] == [1, 2, 3, 4, 5]
    assert page["total"] > 15 and page["next_offset"] == 5
    assert page["entries"][0]["type"] == "plan_opened"
    assert page["entries"][0]["actor"] == "manager"
    assert page["entries"][0]["description"].startswith("manager opened plan")
    _, rest = await get(stack, "auditor", f"/plans/{HOME}-2026/audit", limit=500, offset=5)
    assert rest["entries"][0]["version"] == 6 and rest["next_offset"] is None
    types = [e["type"] for e in rest["entries"]]
    assert "plan_approved" in types and "milestone_overdue" in types


async def test_events_are_as_stored_with_a_hash_chain(stack: Stack) -> None:
    _, body = await get(stack, "auditor", f"/plans/{HOME}-2026/events")
    events = body["events"]
    assert events[0]["prev_hash"] == "0" * 64
    assert all(a["hash"] == b["prev_hash"] for a, b in itertools.pairwise(events))
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    _, tail = await get(stack, "auditor", f"/plans/{HOME}-2026/events", after_version=3, limit=2)
    assert [e["version"] for e in tail["events"]] == [4, 5]


async def test_overdue_milestones_are_scoped(stack: Stack) -> None:
    _, everyone = await get(stack, "manager", "/milestones/overdue")
    assert [(m["plan_id"], m["milestone_id"]) for m in everyone["milestones"]] == [
        (f"{HOME}-2026", "M1")
    ]
    assert everyone["milestones"][0]["days_overdue"] > 0
    _, away = await get(stack, f"{AWAY}.focal", "/milestones/overdue")
    assert away["milestones"] == []
    _, past_the_end = await get(stack, "manager", "/milestones/overdue", limit=1, offset=1)
    assert (past_the_end["milestones"], past_the_end["limit"]) == ([], 1)


async def test_notifications_are_scoped_and_hidden_from_observers(stack: Stack) -> None:
    status, body = await get(stack, f"{HOME}.focal", "/notifications")
    assert status == 200
    kinds = {n["kind"] for n in body["notifications"]}
    assert "overdue" in kinds
    assert {n["plan_id"] for n in body["notifications"]} == {f"{HOME}-2026"}
    _, away = await get(stack, f"{AWAY}.focal", "/notifications")
    assert away["notifications"] == []
    hidden, _ = await get(stack, f"{AWAY}.focal", "/notifications", plan_id=f"{HOME}-2026")
    assert hidden == 404
    observer, refusal = await get(stack, "observer", "/notifications")
    assert observer == 403 and refusal["rule"] == "not_permitted"


async def test_history_replay_as_of_version_and_instant(stack: Stack) -> None:
    _, first = await get(stack, "auditor", f"/plans/{HOME}-2026", as_of_version=1)
    assert (first["version"], first["phase"]) == (1, "diagnostic")
    assert first["state"]["plan_id"] == f"{HOME}-2026" and len(first["benchmarks"]) == 10
    _, now = await get(stack, "auditor", f"/plans/{HOME}-2026", as_of=date.today().isoformat())
    assert now["phase"] == "implementation"
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    before, missing = await get(stack, "auditor", f"/plans/{HOME}-2026", as_of=yesterday)
    assert before == 404 and missing["rule"] == "plan_not_found"
    bad, error = await get(stack, "auditor", f"/plans/{HOME}-2026", as_of="last tuesday")
    assert bad == 422 and error["details"][0]["field"] == "as_of"
    zero, _ = await get(stack, "auditor", f"/plans/{HOME}-2026", as_of_version=0)
    assert zero == 422
    hidden, _ = await get(stack, f"{AWAY}.focal", f"/plans/{HOME}-2026", as_of_version=1)
    assert hidden == 404


async def test_verify_the_store_and_one_plan(stack: Stack) -> None:
    status, report = await get(stack, "auditor", "/audit/verify")
    assert status == 200 and report["ok"] is True and report["streams_checked"] >= 2
    _, one = await get(stack, f"{HOME}.focal", "/audit/verify", plan_id=f"{HOME}-2026")
    assert one["ok"] is True and one["streams_checked"] == 1
    refused, body = await get(stack, f"{HOME}.focal", "/audit/verify")
    assert refused == 403 and body["rule"] == "not_permitted"
    hidden, _ = await get(stack, f"{HOME}.focal", "/audit/verify", plan_id=f"{AWAY}-2026")
    assert hidden == 404


async def test_reads_need_a_token(stack: Stack) -> None:
    for path in ["/plans", f"/plans/{HOME}-2026", "/milestones/overdue", "/notifications",
                 "/audit/verify", f"/plans/{HOME}-2026/events"]:  # fmt: skip
        status, body = await get(stack, None, path)
        assert status == 401, path
        assert body["error"] == "unauthorized"


async def test_portfolio_grid_filters_and_scopes(stack: Stack) -> None:
    home, away = f"{HOME}-2026", f"{AWAY}-2026"
    status, body = await get(stack, "manager", "/portfolio")
    assert status == 200
    assert body["key_factors"][0] == "leadership_and_commitment" and len(body["key_factors"]) == 10
    by_id = {p["plan_id"]: p for p in body["plans"]}
    assert list(by_id) == sorted([home, away])
    # The plan page's words: the home plan's status per key factor equals its benchmarks.
    _, benchmarks = await get(stack, "manager", f"/plans/{home}/benchmarks")
    assert by_id[home]["statuses"] == {
        b["key_factor"]: b["status"] for b in benchmarks["key_factors"]
    }
    assert (by_id[home]["phase"], by_id[home]["milestones_overdue"]) == ("implementation", 1)
    assert body["milestones_overdue"] == 1
    # Measured on 2026-06-30, inside its first (annual) period: nothing due yet.
    assert (by_id[home]["measurements_due"], body["measurements_due"]) == (0, 0)
    # Opened this quarter: no quarter end has passed since, so no trend yet.
    assert "trend" not in by_id[home]
    trend_status, trend = await get(stack, "manager", f"/plans/{home}/trend")
    assert (trend_status, trend["plan_id"], trend["trend"]) == (200, home, [])
    # Totals over every plan: one page here, today's statuses counted per key factor.
    assert (body["total"], body["offset"], body["next_offset"]) == (2, 0, None)
    for key_factor, counts in body["status_counts"].items():
        assert sum(counts.values()) == 2
        assert counts.get(by_id[home]["statuses"][key_factor], 0) >= 1
    _, first = await get(stack, "manager", "/portfolio", limit=1)
    _, second = await get(stack, "manager", "/portfolio", limit=1, offset=1)
    assert [p["plan_id"] for p in first["plans"] + second["plans"]] == sorted([home, away])
    assert (first["next_offset"], second["next_offset"], second["total"]) == (1, None, 2)

    _, review = await get(stack, "auditor", "/portfolio", phase="under_review")
    assert [p["plan_id"] for p in review["plans"]] == [away]
    _, mine = await get(stack, f"{HOME}.focal", "/portfolio")
    assert [p["plan_id"] for p in mine["plans"]] == [home]
    _, theirs = await get(stack, f"{HOME}.focal", "/portfolio", country=AWAY)
    assert theirs["plans"] == []

    # Donors: the away plan is funded by Norad; the donor filter finds it alone.
    async with stack.http("manager") as http:
        answer = await http.post(
            f"/plans/{away}/commands",
            json={"type": "set_plan_donors", "donors": ["norad"], "reason": "Norad funds it"},
        )
    assert answer.status_code == 200, answer.text
    await stack.settle()
    _, funded = await get(stack, "manager", "/portfolio", donor="norad")
    assert [(p["plan_id"], p["donors"]) for p in funded["plans"]] == [(away, ["norad"])]
    # A Norad observer sees that plan and nothing else.
    await stack.add_user("norad.observer", Role.OBSERVER, donor="norad")
    _, norad = await get(stack, "norad.observer", "/portfolio")
    assert [p["plan_id"] for p in norad["plans"]] == [away]
    _, other_donor = await get(stack, "norad.observer", "/portfolio", donor="canada")
    assert other_donor["plans"] == [] and other_donor["total"] == 0
    hidden_trend, _ = await get(stack, "norad.observer", f"/plans/{home}/trend")
    assert hidden_trend == 404
    # The plan list shows it the plans Norad funds; every read of a plan it does not fund
    # is answered 404, of one it funds 200.
    _, plans = await get(stack, "norad.observer", "/plans")
    assert [p["plan_id"] for p in plans["plans"]] == [away]
    for suffix in READ_ENDPOINTS:
        hidden, _ = await get(stack, "norad.observer", f"/plans/{home}{suffix}")
        assert hidden == 404, suffix
        funded_status, _ = await get(stack, "norad.observer", f"/plans/{away}{suffix}")
        assert funded_status == 200, suffix

    bad, error = await get(stack, "manager", "/portfolio", donor="Not a donor")
    assert bad == 422 and error["error"]
    unauthenticated, _ = await get(stack, None, "/portfolio")
    assert unauthenticated == 401
