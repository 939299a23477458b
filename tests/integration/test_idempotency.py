"""Honest idempotency through the API on Temporal's dev server: a key replays its first
answer only for the same command from the same actor, and only after authorization."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from api.dispatch import dispatch
from api.errors import ApiError
from domain import Actor, Role, parse_command
from tests.support.api_stack import API_YEAR, Stack, api_plan, plan_body, stack_fixture
from tests.support.ids import unique_country
from tests.support.plans import Stage

COUNTRY = unique_country(year=API_YEAR)
OTHER = unique_country(year=API_YEAR)


async def team(stack: Stack) -> None:
    await stack.add_country_team(COUNTRY, OTHER)
    await stack.add_users("manager.two", "observer")
    await stack.add_users("focal.two", country=COUNTRY)


stack = stack_fixture(team)


def finding(summary: str, command_id: str) -> dict[str, Any]:
    return {
        "type": "record_diagnostic_finding",
        "key_factor": "transparency",
        "maturity": 2,
        "summary": summary,
        "command_id": command_id,
    }


async def events_of(stack: Stack, plan_id: str) -> list[str]:
    async with stack.http("manager") as http:
        response = await http.get(f"/plans/{plan_id}/events")
    return [event["type"] for event in response.json()["events"]]


async def test_a_key_replays_only_the_same_command_from_the_same_actor(stack: Stack) -> None:
    plan = api_plan(stack, COUNTRY, focal="focal", head="head")
    await plan.advance(Stage.OPENED)
    key = str(uuid.uuid4())
    first = await plan.send("focal", **finding("Rulings unpublished", key))
    assert first.status_code == 200, first.text

    same = await plan.send("focal", **finding("Rulings unpublished", key))
    assert same.status_code == 200
    # The replayed answer is the first one, event data included (read back from the store).
    assert same.json() == first.json()

    other_command = await plan.send("focal", **finding("Something else entirely", key))
    assert other_command.status_code == 409, other_command.text
    assert other_command.json()["error"] == "idempotency_key_reused"
    assert other_command.json()["rule"] == "idempotency_key_reused"

    other_actor = await plan.send("focal.two", **finding("Rulings unpublished", key))
    assert other_actor.status_code == 409
    assert other_actor.json()["rule"] == "idempotency_key_reused"

    # The reused key appended nothing: plan_opened and the one finding.
    assert await events_of(stack, plan.plan_id) == [
        "plan_opened",
        "diagnostic_finding_recorded",
    ]


async def test_read_only_roles_and_other_countries_are_refused_even_with_a_known_key(
    stack: Stack,
) -> None:
    country = unique_country(year=API_YEAR)
    await stack.add_user(f"{country.lower()}.focal", Role.FOCAL_POINT, country)
    plan = api_plan(stack, country, focal=f"{country.lower()}.focal", head="head")
    await plan.advance(Stage.OPENED)
    key = str(uuid.uuid4())
    cancel = {"type": "cancel_plan", "reason": "Administration withdrew", "command_id": key}
    sent = await plan.send("manager", type="complete_diagnostic", command_id=str(uuid.uuid4()))
    assert sent.status_code == 409  # findings missing: refused, so nothing remembered
    for reader in ("auditor", "observer"):
        for body in (cancel, finding("Rulings unpublished", key)):
            refused = await plan.send(reader, **body)
            assert refused.status_code == 403, (reader, refused.text)
            assert refused.json()["rule"] == "not_permitted"

    remembered = await plan.send(plan.focal, **finding("Rulings unpublished", key))
    assert remembered.status_code == 200
    for reader in ("auditor", "observer"):
        refused = await plan.send(reader, **finding("Rulings unpublished", key))
        assert refused.status_code == 403, (reader, refused.text)
        assert refused.json()["rule"] == "not_permitted"
    # Another country's focal point: the API does not even admit the plan exists...
    hidden = await plan.send("other.focal", **finding("Rulings unpublished", key))
    assert hidden.status_code == 404
    # ...and the workflow itself refuses the scope before looking at the key.
    outsider = Actor(name="other.focal", role=Role.FOCAL_POINT, country=OTHER)
    with pytest.raises(ApiError) as refused_scope:
        await dispatch(
            stack.client,
            stack.task_queue,
            plan.plan_id,
            parse_command(finding("Rulings unpublished", key)),
            outsider,
        )
    assert refused_scope.value.status == 403 and refused_scope.value.rule == "out_of_scope"
    assert await events_of(stack, plan.plan_id) == [
        "plan_opened",
        "diagnostic_finding_recorded",
    ]


async def test_open_plan_keys_are_honest_too(stack: Stack) -> None:
    country = unique_country(year=API_YEAR)
    key = {"Idempotency-Key": f"open-{country}-{uuid.uuid4()}"}
    async with stack.http("manager") as http:
        first = await http.post("/plans", json=plan_body(country), headers=key)
        assert first.status_code == 201, first.text
        again = await http.post("/plans", json=plan_body(country), headers=key)
        assert again.status_code == 201 and again.json() == first.json()
        retitled = {**plan_body(country), "title": "Another plan altogether"}
        reused = await http.post("/plans", json=retitled, headers=key)
        assert reused.status_code == 409, reused.text
        assert reused.json()["rule"] == "idempotency_key_reused"
    async with stack.http("manager.two") as http:
        by_another = await http.post("/plans", json=plan_body(country), headers=key)
        assert by_another.status_code == 409
        assert by_another.json()["rule"] == "idempotency_key_reused"
    async with stack.http("observer") as http:
        observer = await http.post("/plans", json=plan_body(country), headers=key)
        assert observer.status_code == 403
    assert await events_of(stack, f"{country}-2026") == ["plan_opened"]
