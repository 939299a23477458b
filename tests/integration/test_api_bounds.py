"""Bounded input through HTTP, and one correlation id per request, on the real stack.

Integers far beyond what a column holds, instants at the edges of the calendar and
malformed plan ids are answered at once with a 422 naming the parameter (once a 500 after
10-20 s); the events a request causes carry its X-Request-ID as their correlation_id.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.bounds import MAX_SQL_INTEGER
from tests.support.api_stack import API_YEAR, Stack, api_plan, stack_fixture
from tests.support.ids import unique_country
from tests.support.plans import Stage
from workers.telemetry import instrument_app

HOME = unique_country(year=API_YEAR)
PLAN = f"{HOME}-2026"
HUGE = 10**30
# Far below the 10-20 s these once took, and above what two busy shared cores add to a
# request that is answered from the token lookup alone.
QUICK_SECONDS = 3.0
# Every bounded integer parameter of every JSON read, with a value just out of range each.
OUT_OF_RANGE = [
    ("/plans", "offset", HUGE),
    ("/plans", "offset", MAX_SQL_INTEGER + 1),
    ("/plans", "limit", HUGE),
    ("/plans", "limit", 0),
    (f"/plans/{PLAN}", "as_of_version", HUGE),
    (f"/plans/{PLAN}", "as_of_version", -HUGE),
    (f"/plans/{PLAN}/audit", "offset", HUGE),
    (f"/plans/{PLAN}/audit", "limit", 501),
    (f"/plans/{PLAN}/events", "after_version", HUGE),
    (f"/plans/{PLAN}/events", "limit", 5001),
    ("/milestones/overdue", "offset", HUGE),
    ("/notifications", "offset", HUGE),
    ("/notifications", "plan_id", "GHA-2026; DROP"),
    ("/audit/verify", "plan_id", "x" * 5000),
    (f"/plans/{PLAN}", "as_of", "2026-02-30"),
    (f"/plans/{PLAN}", "as_of", "9" * 5000),
]


async def prepared(stack: Stack) -> None:
    await stack.add_users("manager", "observer")
    await stack.add_users("focal", "head", country=HOME)
    await api_plan(stack, HOME, focal="focal", head="head").advance(Stage.DRAFTING)
    await stack.settle()


stack = stack_fixture(prepared)


async def timed_get(
    stack: Stack, path: str, params: dict[str, Any] | None = None, user: str = "observer"
) -> tuple[httpx.Response, float]:
    async with stack.http(user) as http:
        started = time.perf_counter()
        response = await http.get(path, params=params)
        return response, time.perf_counter() - started


@pytest.mark.parametrize(("path", "parameter", "value"), OUT_OF_RANGE)
async def test_an_out_of_range_parameter_is_a_quick_422_naming_it(
    stack: Stack, path: str, parameter: str, value: object
) -> None:
    response, seconds = await timed_get(stack, path, {parameter: value})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_request"
    assert [d["field"] for d in body["details"]] == [parameter]
    assert body["message"].startswith(f"{parameter}: ")
    assert seconds < QUICK_SECONDS


@pytest.mark.parametrize(
    "path", [f"/plans/{HOME.lower()}-2026", "/plans/GHANA-2026/audit", "/plans/X-1/events"]
)
async def test_a_malformed_plan_id_is_a_422_naming_plan_id(stack: Stack, path: str) -> None:
    response, _ = await timed_get(stack, path)
    assert response.status_code == 422, response.text
    assert response.json()["details"][0]["field"] == "plan_id"


async def test_the_widest_values_in_range_are_answered(stack: Stack) -> None:
    page, _ = await timed_get(stack, "/plans", {"offset": MAX_SQL_INTEGER, "limit": 500})
    assert page.status_code == 200 and page.json()["plans"] == []
    replay, _ = await timed_get(stack, f"/plans/{PLAN}", {"as_of_version": MAX_SQL_INTEGER})
    current, _ = await timed_get(stack, f"/plans/{PLAN}")
    assert replay.status_code == 200
    assert replay.json()["version"] == current.json()["version"]


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        ("0001-01-01T00:00:00+14:00", 404),
        ("0001-01-01T00:00:00", 404),
        ("0001-01-01", 404),
        ("2000-01-01", 404),  # before the plan existed
        ("9999-12-31T23:59:59-12:00", 200),
        ("9999-12-31T23:59:59+14:00", 200),
        ("9999-12-31", 200),
        ("2999-06-30T12:00:00Z", 200),  # after now: today's state
    ],
)
async def test_an_instant_at_the_edge_of_the_calendar_is_answered_at_once(
    stack: Stack, as_of: str, status: int
) -> None:
    response, seconds = await timed_get(stack, f"/plans/{PLAN}", {"as_of": as_of})
    assert response.status_code == status, response.text
    assert seconds < QUICK_SECONDS
    if status == 200:
        current, _ = await timed_get(stack, f"/plans/{PLAN}")
        assert response.json()["version"] == current.json()["version"]
    else:
        assert response.json()["rule"] == "plan_not_found"


async def test_the_dashboard_shows_an_out_of_range_address_as_a_page(stack: Stack) -> None:
    async with stack.http() as http:
        signed_in = await http.post("/ui/login", data={"token": stack.tokens["manager"]})
        assert signed_in.status_code == 303, signed_in.text
        listing = await http.get("/ui/plans", params={"offset": HUGE})
        long = await http.get(f"/ui/plans/{PLAN}/history", params={"as_of_version": HUGE})
        history = await http.get(
            f"/ui/plans/{PLAN}/history", params={"as_of_version": MAX_SQL_INTEGER + 1}
        )
        replay = await http.get(f"/ui/plans/{PLAN}/history", params={"as_of": "9999-12-31"})
        malformed = await http.get("/ui/plans/nope")
    assert listing.status_code == 422 and "text/html" in listing.headers["content-type"]
    assert "offset" in listing.text
    assert long.status_code == 422 and "as_of_version" in long.text
    assert history.status_code == 422 and "whole number" in history.text
    assert replay.status_code == 200
    assert malformed.status_code == 422 and "plan_id" in malformed.text


async def test_each_request_has_its_id_and_its_events_carry_it(stack: Stack) -> None:
    flow = api_plan(stack, HOME, focal="focal", head="head")
    chosen = "client-chosen.id:42"
    async with stack.http("focal") as http:
        ids = []
        for milestone, header in (("M1", chosen.encode()), ("M2", "not sane \u00e9".encode())):
            response = await http.post(
                f"/plans/{PLAN}/commands",
                headers=[(b"X-Request-ID", header)],
                json={
                    "type": "add_milestone",
                    "milestone_id": milestone,
                    "title": f"Milestone {milestone}",
                    "key_factor": "code_of_conduct",
                    "due_date": "2026-06-30",
                },
            )
            assert response.status_code == 200, response.text
            ids.append(response.headers["X-Request-ID"])
        refused = await http.get("/plans/nope")
    assert ids[0] == chosen
    assert ids[1] != chosen and len(ids[1]) == 32  # replaced, not refused
    assert refused.headers["X-Request-ID"] not in ids
    async with stack.http("manager") as http:
        events = (await http.get(f"/plans/{flow.plan_id}/events")).json()["events"]
    by_milestone = {
        e["data"]["milestone_id"]: e["metadata"]["correlation_id"]
        for e in events
        if e["type"] == "milestone_added"
    }
    assert by_milestone == {"M1": ids[0], "M2": ids[1]}
    earlier = {e["metadata"]["correlation_id"] for e in events if e["type"] != "milestone_added"}
    assert not earlier & set(ids)


async def test_a_callers_trace_reaches_the_events_as_the_api_runs_by_default(
    stack: Stack,
) -> None:
    """`acip api` instruments its app whatever ACIP_OTEL_EXPORTER says: with no exporter the
    spans are not recorded, yet the caller's traceparent is the trace of its events."""
    app = create_app(stack.app.state.context)
    instrument_app(app)
    trace_id, parent_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://acip.test",
        headers={"Authorization": f"Bearer {stack.tokens['focal']}"},
    ) as http:
        response = await http.post(
            f"/plans/{PLAN}/commands",
            headers={"traceparent": f"00-{trace_id}-{parent_span}-01"},
            json={
                "type": "add_milestone",
                "milestone_id": "M3",
                "title": "Traced milestone",
                "key_factor": "transparency",
                "due_date": "2026-06-30",
            },
        )
    assert response.status_code == 200, response.text
    async with stack.http("manager") as http:
        events = (await http.get(f"/plans/{PLAN}/events")).json()["events"]
    traced = [e for e in events if e["data"].get("milestone_id") == "M3"]
    assert [e["metadata"]["trace_id"] for e in traced] == [trace_id]
    assert traced[0]["metadata"]["span_id"] is not None
    assert traced[0]["metadata"]["correlation_id"] == response.headers["X-Request-ID"]
