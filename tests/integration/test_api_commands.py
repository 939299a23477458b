"""Every command through HTTP, and every error class a client can cause on the write side."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.context import CSRF_HEADER, csrf_token_for
from domain import COMMAND_TYPES, Role
from tests.support.api_stack import API_YEAR, ApiPlan, Stack, api_plan, plan_body, stack_fixture
from tests.support.hypothesis_profiles import examples
from tests.support.ids import unique_country
from tests.support.plans import Indicator, Milestone, Stage

COUNTRY = unique_country(year=API_YEAR)
OTHER = unique_country(year=API_YEAR)


async def team(stack: Stack) -> None:
    await stack.add_country_team(COUNTRY, OTHER)
    await stack.add_user("gone", Role.PROGRAMME_MANAGER)


stack = stack_fixture(team)


def flow(stack: Stack, country: str) -> ApiPlan:
    return api_plan(stack, country, focal="focal", head="head")


def types(body: dict[str, Any]) -> list[str]:
    return [e["type"] for e in body["events"]]


async def test_every_command_of_the_lifecycle_goes_through_http(stack: Stack) -> None:
    plan = flow(stack, COUNTRY)
    await plan.advance(Stage.DRAFTED)
    m2 = Milestone(
        "M2", date(2027, 6, 30), key_factor="human_resource_management", title="Rotate staff"
    ).command()
    assert types(await plan.ok("focal", **m2)) == ["milestone_added"]
    await plan.ok("focal", **{**m2, "milestone_id": "M3"})
    removed = await plan.ok("focal", type="remove_milestone", milestone_id="M3")
    assert types(removed) == ["milestone_removed"]
    i2 = Indicator(
        "I2",
        name="E-payments",
        key_factor="automation",
        baseline=40,
        target=95,
        reporting_frequency="annual",
    ).command()
    await plan.ok("focal", **i2)
    await plan.ok("focal", **{**i2, "indicator_id": "I3"})
    assert types(await plan.ok("focal", type="remove_indicator", indicator_id="I3")) == [
        "indicator_removed"
    ]
    await plan.ok("focal", type="submit_for_approval")
    changes = await plan.ok("head", type="request_changes", reason="Add a source to I2")
    assert types(changes) == ["plan_changes_requested"]
    await plan.ok("focal", type="submit_for_approval")
    await plan.ok("head", type="approve_plan", comment="Agreed")
    approved = await plan.ok("manager", type="approve_plan")
    assert types(approved) == ["plan_approval_granted", "plan_approved"]
    await plan.ok(
        "focal", type="report_milestone_progress", milestone_id="M2", percent=30, note="Begun"
    )
    await plan.ok("focal", type="complete_milestone", milestone_id="M1", evidence="Circular 14")
    await plan.ok(
        "manager",
        type="reschedule_milestone",
        milestone_id="M2",
        new_due_date="2027-09-30",
        reason="Union talks",
    )
    await plan.ok(
        "focal", type="record_measurement", indicator_id="I1", value=50, measured_on="2026-06-30"
    )
    await plan.ok(
        "manager", type="revise_indicator_target", indicator_id="I2", new_target=90, reason="Cost"
    )
    await plan.ok("manager", type="start_evaluation")
    for factor in ("code_of_conduct", "automation", "human_resource_management"):
        await plan.ok(
            "manager", type="rate_key_factor", key_factor=factor, rating="achieved", note="Done"
        )
    closed = await plan.ok("manager", type="close_plan", summary="Delivered")
    assert types(closed) == ["plan_closed"]
    after_close = await plan.send("manager", type="cancel_plan", reason="too late")
    assert after_close.status_code == 409, after_close.text
    assert after_close.json()["rule"] == "wrong_phase"
    # The workflow ended with the plan: told apart from a missing plan by its status.
    assert after_close.json()["details"] == {"plan_id": plan.plan_id}


async def test_cancel_and_open_plan_through_the_commands_endpoint(stack: Stack) -> None:
    country = unique_country(year=API_YEAR)
    plan = flow(stack, country)
    opened = await plan.send("manager", type="open_plan", **plan_body(country))
    assert opened.status_code == 201, opened.text
    assert opened.json()["version"] == 1
    cancelled = await plan.ok("manager", type="cancel_plan", reason="Superseded")
    assert types(cancelled) == ["plan_cancelled"]
    mismatch = await plan.send("manager", type="open_plan", **plan_body(country, 2030))
    assert mismatch.status_code == 422
    assert mismatch.json()["error"] == "invalid_request"


async def test_idempotency_key_returns_the_first_result_and_appends_nothing(stack: Stack) -> None:
    country = unique_country(year=API_YEAR)
    async with stack.http("manager") as http:
        key = {"Idempotency-Key": f"open-{country}"}
        first = await http.post("/plans", json=plan_body(country), headers=key)
        again = await http.post("/plans", json=plan_body(country), headers=key)
        assert (first.status_code, again.status_code) == (201, 201)
        assert first.json() == again.json() == {"plan_id": f"{country}-2026", "version": 1}
        events = await http.get(f"/plans/{country}-2026/events")
        assert [e["type"] for e in events.json()["events"]] == ["plan_opened"]
        third = await http.post("/plans", json=plan_body(country))
        assert third.status_code == 409 and third.json()["rule"] == "plan_exists"


async def test_refusals_carry_their_rule_and_status(stack: Stack) -> None:
    country = unique_country(year=API_YEAR)
    await stack.add_user(f"{country.lower()}.focal", Role.FOCAL_POINT, country)
    await stack.add_user(f"{country.lower()}.head", Role.HEAD_OF_ADMINISTRATION, country)
    plan = api_plan(
        stack, country, focal=f"{country.lower()}.focal", head=f"{country.lower()}.head"
    )
    await plan.advance(Stage.DRAFTED)
    await plan.ok("manager", type="submit_for_approval")

    four_eyes = await plan.send("manager", type="approve_plan")
    assert four_eyes.status_code == 409
    assert four_eyes.json()["rule"] == "four_eyes"
    assert "submitted" in four_eyes.json()["message"]

    role = await plan.send(plan.focal, type="approve_plan")
    assert role.status_code == 403 and role.json()["rule"] == "not_permitted"
    auditor = await plan.send("auditor", type="cancel_plan", reason="no")
    assert auditor.status_code == 403 and auditor.json()["rule"] == "not_permitted"

    phase = await plan.send(plan.focal, type="add_milestone", milestone_id="M9", title="x",
                            key_factor="automation", due_date="2026-05-01")  # fmt: skip
    assert phase.status_code == 409 and phase.json()["rule"] == "wrong_phase"
    assert phase.json()["details"]["allowed_phases"] == ["drafting"]

    stale = await plan.send(plan.head, type="approve_plan", expected_version=3)
    assert stale.status_code == 409
    body = stale.json()
    assert body["error"] == "version_conflict" and body["expected_version"] == 3
    assert body["actual_version"] > 3
    # The facts come from the domain's details, not from parsing the sentence.
    assert body["details"] == {"expected_version": 3, "actual_version": body["actual_version"]}


async def test_input_bounds_are_refused_with_their_rule_and_details(stack: Stack) -> None:
    async with stack.http("manager") as http:
        made_up = await http.post("/plans", json={**plan_body("XXA"), "country": "XXA"})
        assert made_up.status_code == 409, made_up.text
        assert made_up.json()["rule"] == "unknown_country"
        assert made_up.json()["details"] == {"field": "country", "value": "XXA"}
        too_long = await http.post(
            "/plans", json={**plan_body(COUNTRY, 2045), "period_end": "2061-01-01"}
        )
        assert too_long.status_code == 409, too_long.text
        assert too_long.json()["rule"] == "period_too_long"
        assert too_long.json()["details"]["latest_period_end"] == "2059-12-31"


async def test_another_countrys_plan_is_404_like_a_missing_one(stack: Stack) -> None:
    plan = flow(stack, unique_country(year=API_YEAR))
    await plan.advance(Stage.OPENED)
    async with stack.http("other.focal") as http:
        hidden = await http.post(
            f"/plans/{plan.plan_id}/commands", json={"type": "complete_diagnostic"}
        )
        missing = await http.post(
            f"/plans/{OTHER}-1999/commands", json={"type": "complete_diagnostic"}
        )
    async with stack.http("manager") as http:
        really_missing = await http.post(
            "/plans/ZZZ-1999/commands", json={"type": "complete_diagnostic"}
        )
    assert hidden.status_code == 404
    assert hidden.json()["rule"] == "plan_not_found"
    assert missing.status_code == 404 and really_missing.status_code == 404
    assert plan.plan_id in hidden.json()["message"]


async def test_authentication_errors_are_401(stack: Stack) -> None:
    async with stack.http() as http:
        none = await http.post("/plans", json=plan_body("GHA"))
        bad = await http.post(
            "/plans", json=plan_body("GHA"), headers={"Authorization": "Bearer acip_nope"}
        )
        read = await http.get("/plans")
    assert none.status_code == bad.status_code == read.status_code == 401
    assert none.headers["www-authenticate"] == "Bearer"
    token = stack.tokens["gone"]
    from api.users import revoke_user

    await revoke_user(stack.pool, stack.store, "gone")
    async with stack.http() as http:
        revoked = await http.get("/plans", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401
    assert revoked.json()["message"] == "The token is unknown, expired or revoked."


async def test_a_cookie_session_must_send_the_csrf_header_to_write(stack: Stack) -> None:
    country = unique_country(year=API_YEAR)
    async with stack.http() as http:
        signed_in = await http.post("/ui/login", data={"token": stack.tokens["manager"]})
        assert signed_in.status_code == 303
        token = signed_in.cookies["acip_token"]  # the session id, not the access token
        forged = await http.post("/plans", json=plan_body(country))
        assert forged.status_code == 403
        assert CSRF_HEADER in forged.json()["message"]
        allowed = await http.post(
            "/plans", json=plan_body(country), headers={CSRF_HEADER: csrf_token_for(token)}
        )
        assert allowed.status_code == 201, allowed.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "add_milestone", "milestone_id": "M1", "title": "t", "key_factor": "automation"},
         "due_date"),
        ({"type": "record_diagnostic_finding", "key_factor": "automation", "maturity": 7,
          "summary": "s"}, "maturity"),
        ({"type": "report_milestone_progress", "milestone_id": "M1", "percent": 101, "note": "n"},
         "percent"),
        ({"type": "define_indicator", "indicator_id": "I 1", "name": "n",
          "key_factor": "automation", "unit": "u", "baseline": 1, "target": 2}, "indicator_id"),
        ({"type": "launch_rockets"}, "type"),
        ({"milestone_id": "M1"}, "type"),
        ({"type": "approve_plan", "actor": "someone.else"}, "actor"),
        ({"type": "approve_plan", "expected_version": -1}, "expected_version"),
        ({"type": "record_measurement", "indicator_id": "I1", "value": "lots",
          "measured_on": "2026-01-01"}, "value"),
        # Numbers are JSON numbers: never text or booleans (issue 11).
        ({"type": "record_diagnostic_finding", "key_factor": "automation", "maturity": "3",
          "summary": "s"}, "maturity"),
        ({"type": "report_milestone_progress", "milestone_id": "M1", "percent": "50", "note": "n"},
         "percent"),
        ({"type": "record_measurement", "indicator_id": "I1", "value": True,
          "measured_on": "2026-01-01"}, "value"),
    ],
)  # fmt: skip
async def test_malformed_commands_are_422_naming_the_field(
    stack: Stack, body: dict[str, object], field: str
) -> None:
    async with stack.http("manager") as http:
        response = await http.post(f"/plans/{COUNTRY}-2026/commands", json=body)
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["error"] == "invalid_request"
    assert field in [d["field"] for d in answer["details"]], answer
    assert answer["message"].startswith(field)


async def test_open_plan_body_is_validated_with_field_names(stack: Stack) -> None:
    async with stack.http("manager") as http:
        response = await http.post("/plans", json={**plan_body("GHA"), "country": "Ghana"})
        missing = await http.post("/plans", json={"country": "GHA"})
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "country"
    assert {"administration", "title", "period_start", "period_end"} <= {
        d["field"] for d in missing.json()["details"]
    }


async def test_bodies_that_are_not_json_objects(stack: Stack) -> None:
    async with stack.http("manager") as http:
        broken = await http.post(
            "/plans", content=b'{"country": ', headers={"Content-Type": "application/json"}
        )
        array = await http.post(f"/plans/{COUNTRY}-2026/commands", json=[1, 2])
        nan = await http.post(
            f"/plans/{COUNTRY}-2026/commands",
            content=b'{"type": "record_measurement", "indicator_id": "I1", "value": NaN,'
            b' "measured_on": "2026-01-01"}',
            headers={"Content-Type": "application/json"},
        )
        empty = await http.post("/plans")
    assert broken.status_code == 400 and broken.json()["error"] == "invalid_json"
    assert array.status_code == 422
    assert nan.status_code == 422 and nan.json()["details"][0]["field"] == "value"
    assert empty.status_code == 422


async def test_oversized_bodies_are_413_declared_or_streamed(stack: Stack) -> None:
    huge = {"type": "approve_plan", "comment": "x" * 70_000}
    async with stack.http("manager") as http:
        declared = await http.post(f"/plans/{COUNTRY}-2026/commands", json=huge)

        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"type": "approve_plan", "comment": "'
            for _ in range(20):
                yield b"y" * 4096
            yield b'"}'

        streamed = await http.post(
            f"/plans/{COUNTRY}-2026/commands",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
    assert declared.status_code == 413 and declared.json()["error"] == "payload_too_large"
    assert streamed.status_code == 413, streamed.text


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    ["type", "milestone_id", "due_date", "percent", "expected_version", "command_id", "value"]
)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=st.dictionaries(FIELDS, JSON_VALUES, max_size=5)
    | st.fixed_dictionaries({"type": st.sampled_from(COMMAND_TYPES)}, optional={"x": JSON_VALUES})
    | JSON_VALUES,
    plan_id=st.sampled_from(["ZZZ-2026", "nonsense", "%2e%2e", f"{COUNTRY}-2026"]),
)
async def test_no_client_input_causes_a_server_error(
    stack: Stack, body: object, plan_id: str
) -> None:
    async with stack.http("auditor") as http:
        response = await http.post(f"/plans/{plan_id}/commands", json=body)
    assert response.status_code < 500, response.text
    assert "error" in response.json()


async def test_openapi_describes_every_command(stack: Stack) -> None:
    async with stack.http() as http:
        spec = (await http.get("/openapi.json")).json()
        docs = await http.get("/docs")
    assert docs.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text  # served by the app: works without a network
    body = spec["paths"]["/plans/{plan_id}/commands"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    mapping = schema["discriminator"]["mapping"]
    assert set(mapping) == set(COMMAND_TYPES)
    add = spec["components"]["schemas"]["AddMilestone"]
    assert {"milestone_id", "title", "key_factor", "due_date"} <= set(add["required"])
    opening = spec["paths"]["/plans"]["post"]["requestBody"]["content"]["application/json"]
    # POST /plans names the command in its path: there `type` may be left out (issue 18).
    assert opening["schema"]["$ref"].endswith("/OpenPlanRequest")
    assert "type" not in spec["components"]["schemas"]["OpenPlanRequest"]["required"]
    assert add["required"][0] == "type"
    assert {"401", "403", "404", "409", "413", "422"} <= set(
        spec["paths"]["/plans/{plan_id}/commands"]["post"]["responses"]
    )
