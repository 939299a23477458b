"""Plan histories spanning many years (the issue's "10 years of history each"), made by the
domain as testkit.synthetic's are: every event from ``decide`` or the time rules
(``due_events``, fired by ``_Plan.advance`` at their own instants), folded before the next
decision.

A long plan is drafted with milestones spread over its whole period (a few a year) and
indicators measured every quarter; then, quarter after quarter until the period ends: each
indicator's measurement (progress roughly following the calendar), progress on the
milestones due in the coming months and their completion, now and then a reschedule of an
overdue milestone, a revised target, a change of donors (the last quarter's report would
fall after the period, when the time rules have started the evaluation: not made); then the
evaluation and, mostly, the closure.

Each country's first plan starts in 2026 minus ``years`` (ten years ago), its next ones a
year earlier each (a plan id is the country and the start year, so each has its own).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from domain import KeyFactor, Phase, PlanState
from domain.countries import country_codes
from testkit.synthetic import (
    MANAGER,
    OUTCOMES,
    Append,
    _approve,
    _diagnose,
    _evaluate,
    _Plan,
    country_code,
    opened_plan,
)

# The year after the last period of the first cohort ends: long plans are history by then.
LAST_YEAR = 2026
DONOR_SETS = (["norad"], ["norad", "canada"], ["canada"], ["eu"], ["norad", "eu"])


def long_plan_history(index: int, *, seed: int = 0, years: int = 10) -> list[Append]:
    """One plan of ``years`` years; about 30 events a year."""
    rng = random.Random(seed * 1_000_003 + index)
    country = country_code(index)
    year = LAST_YEAR - years - index // len(country_codes())
    start = date(year, 1, 1)
    end = date(year + years, 1, 1) - timedelta(days=1)
    plan = opened_plan(
        rng,
        country,
        year,
        start,
        end,
        title=f"A-CIP action plan {year}-{year + years - 1}",
        donor_sets=DONOR_SETS,
    )
    _diagnose(plan)
    _draft_years(plan, start, end, years)
    _approve(plan)
    _implement_quarters(plan)
    _evaluate(plan)
    return plan.appends


def _draft_years(plan: _Plan, start: date, end: date, years: int) -> None:
    rng = plan.rng
    span = (end - start).days
    factors = rng.sample(list(KeyFactor), rng.randint(3, 7))
    for outcome_id, parent in OUTCOMES:
        plan.advance(rng.uniform(0.2, 2))
        plan.send(
            plan.focal,
            type="add_outcome",
            outcome_id=outcome_id,
            title=f"Outcome {outcome_id}",
            key_factors=[f.value for f in rng.sample(factors, 2)],
            **({"parent_id": parent} if parent else {}),
        )
    outcome_ids = [o for o, _ in OUTCOMES]
    # A few milestones a year, due across the whole period.
    for n in range(1, years * rng.randint(3, 5) + 1):
        plan.advance(rng.uniform(0.05, 0.3))
        plan.send(
            plan.focal,
            type="add_milestone",
            milestone_id=f"M{n}",
            title=f"Milestone {n}",
            key_factor=rng.choice(factors).value,
            due_date=(start + timedelta(days=rng.randrange(30, span))).isoformat(),
            outcome_id=rng.choice(outcome_ids),
        )
    for n in range(1, rng.randint(3, 6) + 1):
        baseline = float(rng.randrange(0, 50))
        target = baseline + rng.randrange(10, 50)
        # Yearly steps of the target path on some indicators.
        path = [
            {
                "due": date(start.year + k, 12, 31).isoformat(),
                "target": round(baseline + (target - baseline) * (k + 1) / years, 2),
            }
            for k in range(years - 1)
        ] if rng.random() < 0.5 else []  # fmt: skip
        plan.advance(rng.uniform(0.2, 2))
        plan.send(
            plan.focal,
            type="define_indicator",
            indicator_id=f"I{n}",
            name=f"Indicator {n}",
            key_factor=rng.choice(factors).value,
            unit="percent",
            baseline=baseline,
            target=target,
            outcome_id=("O1.1", "O2")[n - 1] if n <= 2 else rng.choice(outcome_ids),
            reporting_frequency="quarterly",
            period_targets=path,
        )


def _quarter_ends(start: date, end: date) -> list[date]:
    ends = []
    year, month = start.year, 3
    while (day := _month_end(year, month)) <= end:
        ends.append(day)
        year, month = (year + 1, 3) if month == 12 else (year, month + 3)
    return ends


def _month_end(year: int, month: int) -> date:
    first_of_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first_of_next - timedelta(days=1)


def _implement_quarters(plan: _Plan) -> None:
    state = plan.state
    if state is None or state.phase is not Phase.IMPLEMENTATION:
        return
    for quarter_end in _quarter_ends(state.period_start, state.period_end):
        # Measured in the first weeks after the quarter, as a focal point reports.
        measured_at = datetime.combine(quarter_end, datetime.min.time(), UTC) + timedelta(
            days=plan.rng.uniform(3, 20), hours=9
        )
        plan.advance(max(0.0, (measured_at - plan.now).total_seconds() / 86_400))
        state = plan.state
        if state is None or state.phase is not Phase.IMPLEMENTATION:
            return
        if plan.rng.random() < 0.0005:
            plan.send(MANAGER, type="cancel_plan", reason="Funding ended.")
            return
        _quarter(plan, state, quarter_end)
    # Let the period run out: evaluation_started is raised by time.
    plan.advance(30)


def _quarter(plan: _Plan, state: PlanState, quarter_end: date) -> None:
    rng = plan.rng
    share = (quarter_end - state.period_start).days / max(
        1, (state.period_end - state.period_start).days
    )
    for indicator_id in sorted(state.indicators):
        indicator = state.indicators[indicator_id]
        gained = (indicator.target - indicator.baseline) * share * rng.uniform(0.7, 1.3)
        plan.send(
            plan.focal,
            type="record_measurement",
            indicator_id=indicator_id,
            value=round(indicator.baseline + gained, 2),
            measured_on=(quarter_end - timedelta(days=rng.randrange(10))).isoformat(),
        )
    state = plan.state or state
    today = plan.now.date()
    for milestone_id, milestone in sorted(state.milestones.items()):
        if milestone.status == "completed" or milestone.due_date > today + timedelta(days=270):
            continue
        if milestone.is_overdue and rng.random() < 0.5:
            new_due = min(today + timedelta(days=rng.randrange(30, 120)), state.period_end)
            plan.send(
                MANAGER,
                type="reschedule_milestone",
                milestone_id=milestone_id,
                new_due_date=new_due.isoformat(),
                reason="Procurement delayed",
            )
        elif milestone.due_date <= today + timedelta(days=100) and rng.random() < 0.85:
            # Due before the next quarter's report: most are done by then.
            plan.send(
                plan.focal, type="complete_milestone", milestone_id=milestone_id, evidence="Filed"
            )
        elif milestone.percent < 70:
            plan.send(
                plan.focal,
                type="report_milestone_progress",
                milestone_id=milestone_id,
                percent=min(99, milestone.percent + rng.randrange(20, 40)),
                note="On the way",
            )
    roll = rng.random()
    if roll < 0.08 and state.indicators:
        indicator = state.indicators[rng.choice(sorted(state.indicators))]
        plan.send(
            MANAGER,
            type="revise_indicator_target",
            indicator_id=indicator.indicator_id,
            new_target=indicator.target + rng.choice((-5, 5, 10)),
            reason="Baseline survey revised",
        )
    elif roll < 0.1:
        donors = rng.choice(DONOR_SETS)
        if donors != state.donors:
            plan.send(MANAGER, type="set_plan_donors", donors=donors, reason="Grant renewed")
