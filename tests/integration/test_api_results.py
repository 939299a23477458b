"""The results framework through the API and the dashboard: the outcome tree with targets
per period, the diagnostic, measurements due across plans (scoped), refusals as 4xx JSON,
and the plan page's tree, diagnostic and Actions panel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from domain import Actor, Role
from tests.support.api_stack import API_YEAR, ApiPlan, Stack, running_stack
from tests.support.ids import unique_country
from tests.support.plans import Cast, Indicator, Lifecycle, Milestone, Outcome, Stage
from tests.support.polling import eventually

HOME = unique_country(year=API_YEAR)
AWAY = unique_country(year=API_YEAR)
PLAN = f"{HOME}-{API_YEAR}"

OUTCOMES = (
    Outcome("O1", "Integrity risks are managed", ("code_of_conduct", "transparency")),
    Outcome("O1.1", "Tariff rulings are public", ("transparency",), parent_id="O1"),
    Outcome("O2", "Staff act on the code of conduct", ("code_of_conduct",)),
)
INDICATORS = (
    Indicator(
        "I1",
        key_factor="transparency",
        name="Rulings published within ten days",
        baseline=10,
        target=90,
        reporting_frequency="quarterly",
        outcome_id="O1.1",
        period_targets=((date(2026, 12, 31), 40), (date(2027, 12, 31), 70)),
    ),
    Indicator("I2", outcome_id="O2", reporting_frequency="annual"),
)


def lifecycle(country: str, *, results: bool) -> Lifecycle:
    cast = Cast(
        manager=Actor(name="manager", role=Role.PROGRAMME_MANAGER),
        focal=Actor(name=f"{country}.focal", role=Role.FOCAL_POINT, country=country),
        head=Actor(name=f"{country}.head", role=Role.HEAD_OF_ADMINISTRATION, country=country),
    )
    if not results:
        return Lifecycle.for_plan(f"{country}-{API_YEAR}", cast=cast, measurements=())
    return Lifecycle.for_plan(
        f"{country}-{API_YEAR}",
        cast=cast,
        outcomes=OUTCOMES,
        milestones=(Milestone("M1", date(2027, 6, 30), outcome_id="O2"),),
        indicators=INDICATORS,
        progress=(),
        completed=(),
        measurements=(),
    )


@pytest.fixture(scope="module")
async def stack(dev_env: WorkflowEnvironment, pool: asyncpg.Pool) -> AsyncIterator[Stack]:
    async with running_stack(dev_env.client, pool) as stack:
        await stack.add_user("manager", Role.PROGRAMME_MANAGER)
        await stack.add_user("observer", Role.OBSERVER)
        for country in (HOME, AWAY):
            await stack.add_user(f"{country}.focal", Role.FOCAL_POINT, country)
            await stack.add_user(f"{country}.head", Role.HEAD_OF_ADMINISTRATION, country)
        home = ApiPlan(stack, lifecycle(HOME, results=True))
        await home.advance(Stage.IMPLEMENTATION)
        # Q3 2026 measured (inside its period); Q1 and Q2 were never measured.
        await home.ok(home.focal, type="record_measurement", indicator_id="I1", value=35,
                      measured_on="2026-09-30")  # fmt: skip
        await ApiPlan(stack, lifecycle(AWAY, results=False)).advance(Stage.IMPLEMENTATION)
        yield stack


async def get(stack: Stack, user: str, path: str, **params: Any) -> tuple[int, Any]:
    async with stack.http(user) as http:
        response = await http.get(path, params=params)
    return response.status_code, response.json()


async def test_results_framework_is_a_tree_with_targets_per_period(stack: Stack) -> None:
    await stack.settle()
    status, body = await get(stack, "manager", f"/plans/{PLAN}/results")
    assert status == 200, body
    assert [o["outcome_id"] for o in body["outcomes"]] == ["O1", "O2"]
    o1, o2 = body["outcomes"]
    assert [c["outcome_id"] for c in o1["outcomes"]] == ["O1.1"]
    i1 = o1["outcomes"][0]["indicators"][0]
    assert i1["indicator_id"] == "I1" and i1["reporting_frequency"] == "quarterly"
    assert len(i1["periods"]) == 12  # three years of quarters
    # The path: 10 on 2026-01-01 -> 40 on 2026-12-31, so Q4 2026 ends on 40.
    assert i1["periods"][3]["target"] == 40
    assert [p["status"] for p in i1["periods"][:3]] == ["missed", "missed", "measured"]
    assert i1["status"] != "no_data"
    assert [m["milestone_id"] for m in o2["milestones"]] == ["M1"]
    assert body["unassigned_milestones"] == body["unassigned_indicators"] == []


async def test_a_flat_plan_has_no_outcomes(stack: Stack) -> None:
    status, body = await get(stack, "manager", f"/plans/{AWAY}-{API_YEAR}/results")
    assert status == 200
    assert body["outcomes"] == []
    assert [i["indicator_id"] for i in body["unassigned_indicators"]] == ["I1"]


async def test_diagnostic_keeps_the_start_beside_the_end(stack: Stack) -> None:
    status, body = await get(stack, f"{HOME}.focal", f"/plans/{PLAN}/diagnostic")
    assert status == 200
    assert len(body["key_factors"]) == 10
    assert {d["start_maturity"] for d in body["key_factors"]} == {3}
    assert {d["final_maturity"] for d in body["key_factors"]} == {None}


async def test_measurements_due_are_scoped(stack: Stack) -> None:
    async def due_for(user: str) -> list[tuple[str, str]]:
        await stack.settle()
        _, body = await get(stack, user, "/measurements/due")
        return [(d["plan_id"], d["indicator_id"]) for d in body["measurements"]]

    # The latest ended quarter (Q3 2026) of I1 is measured; I2's first year has not ended.
    # What is listed depends on the real date, so only the scope is checked here.
    manager = await due_for("manager")
    home_focal = await due_for(f"{HOME}.focal")
    assert all(plan == PLAN for plan, _ in home_focal)
    assert set(home_focal) <= set(manager)
    status, body = await get(stack, f"{AWAY}.focal", "/measurements/due", plan_id=PLAN)
    assert status == 404 and body["error"] == "not_found"


async def test_other_countries_get_404_and_bad_input_a_4xx(stack: Stack) -> None:
    for path in ("results", "diagnostic"):
        status, body = await get(stack, f"{AWAY}.focal", f"/plans/{PLAN}/{path}")
        assert status == 404, body
    status, body = await get(stack, "manager", "/plans/not-a-plan/results")
    assert status == 422
    async with stack.http(f"{HOME}.focal") as http:
        refused = await http.post(
            f"/plans/{PLAN}/commands",
            json={"type": "add_outcome", "outcome_id": "O3", "title": "t", "key_factors": []},
        )
        assert refused.status_code == 422, refused.text
        late = await http.post(
            f"/plans/{PLAN}/commands",
            json={"type": "add_outcome", "outcome_id": "O3", "title": "t",
                  "key_factors": ["automation"]},
        )  # fmt: skip
        assert late.status_code == 409 and late.json()["rule"] == "wrong_phase", late.text


async def test_plan_page_shows_the_tree_the_diagnostic_and_the_row_actions(stack: Stack) -> None:
    async with stack.browser(f"{HOME}.focal") as focal:
        page = (await focal.get(f"/ui/plans/{PLAN}")).text
    assert 'id="results-tree"' in page
    assert "Specific outcome O1.1" in page and "Tariff rulings are public" in page
    assert 'id="diagnostic-chart"' in page
    # A focal point in implementation acts on rows: the panel says so, never "nothing to do".
    assert "Nothing for a focal point to do" not in page
    assert "On each milestone below: Report progress, Complete" in page
    assert "On each indicator below: Record a measurement" in page
    async with stack.browser("manager") as manager:
        overdue = await manager.get("/ui/overdue")
    assert overdue.status_code == 200 and 'id="measurements-due"' in overdue.text


async def test_the_submitter_is_not_offered_approve(stack: Stack) -> None:
    cast = lifecycle(AWAY, results=False).cast
    other = Lifecycle.for_plan(f"{AWAY}-{API_YEAR + 1}", cast=cast)
    submitted = ApiPlan(stack, other)
    await submitted.advance(Stage.DRAFTED)
    await submitted.ok("manager", type="submit_for_approval")
    await eventually(
        lambda: get(stack, "manager", f"/plans/{AWAY}-{API_YEAR + 1}"),
        until=lambda answer: answer[1]["phase"] == "under_review",
        what="the submitted plan's summary",
    )
    async with stack.browser("manager") as manager:
        page = (await manager.get(f"/ui/plans/{AWAY}-{API_YEAR + 1}")).text
    assert 'id="act-approve_plan"' not in page
    assert 'id="act-request_changes"' in page
