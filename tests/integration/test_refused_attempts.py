"""Refused attempts on the record: one per refusal for a rule, role or scope, none for a
success, the plan's version untouched, readable by auditors and counted on the dashboard."""

from __future__ import annotations

import asyncpg

from tests.support.api_stack import API_YEAR, Stack, api_plan, stack_fixture
from tests.support.ids import unique_country
from tests.support.plans import Stage

COUNTRY = unique_country(year=API_YEAR)
OTHER = unique_country(year=API_YEAR)


stack = stack_fixture(lambda stack: stack.add_country_team(COUNTRY, OTHER))


async def test_each_refusal_class_is_recorded_and_a_success_is_not(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    plan = api_plan(stack, COUNTRY, focal="focal", head="head")
    await plan.advance(Stage.DRAFTED)
    await plan.ok("manager", type="submit_for_approval")
    version = await pool.fetchval(
        "SELECT max(version) FROM events WHERE stream_id = $1", f"plan-{plan.plan_id}"
    )
    assert (await plan.send("manager", type="approve_plan")).status_code == 409  # four eyes
    assert (await plan.send("focal", type="approve_plan")).status_code == 403  # role
    async with stack.http("other.focal") as http:  # scope: answered as "no such plan"
        hidden = await http.post(
            f"/plans/{plan.plan_id}/commands",
            json={"type": "request_changes", "reason": "x", "command_id": _ID},
        )
        assert hidden.status_code == 404
        again = await http.post(  # the same command retried: recorded once
            f"/plans/{plan.plan_id}/commands",
            json={"type": "request_changes", "reason": "x", "command_id": _ID},
        )
        assert again.status_code == 404
    stale = await plan.send("head", type="approve_plan", expected_version=1)
    assert stale.status_code == 409  # a lost race is not an attempt
    await plan.ok("head", type="approve_plan")  # a success is not an attempt either

    async with stack.http("auditor") as http:
        answer = (await http.get(f"/plans/{plan.plan_id}/attempts")).json()
    found = [(a["rule"], a["actor"], a["role"], a["command_type"]) for a in answer["attempts"]]
    assert found == [
        ("four_eyes", "manager", "programme_manager", "approve_plan"),
        ("not_permitted", "focal", "focal_point", "approve_plan"),
        ("out_of_scope", "other.focal", "focal_point", "request_changes"),
    ]
    assert answer["attempts"][2]["command_id"] == _ID
    assert answer["sentence"] == "3 refused attempts, 1 four-eyes, 1 not-permitted, 1 out-of-scope"
    # The plan's own stream moved by the approval only.
    after = await pool.fetchval(
        "SELECT max(version) FROM events WHERE stream_id = $1", f"plan-{plan.plan_id}"
    )
    assert after == version + 1
    async with stack.http("focal") as http:
        assert (await http.get(f"/plans/{plan.plan_id}/attempts")).status_code == 403


_ID = "7a1c0e3e-2b4d-4f6a-8c9e-0d1f2a3b4c5d"
