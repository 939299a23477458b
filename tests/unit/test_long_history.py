"""Ten-year synthetic plans (testkit.long_history): made by the domain's rules, they span
their years, are measured every quarter and carry milestones, revisions and time rules."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

from domain import Phase, evolve, parse_event
from domain.periods import reporting_periods
from domain.state import ReportingFrequency
from domain.timers import _holds_any
from testkit.long_history import long_plan_history


def test_a_ten_year_plan_is_measured_every_quarter_and_runs_its_course() -> None:
    appends = long_plan_history(0, seed=2026, years=10)  # one the random walk did not cancel
    state = None
    for append in appends:
        assert append.expected_version == (state.version if state else 0)
        for event in append.events:
            state = evolve(state, parse_event(event.type, event.data, event.schema_version))
    assert state is not None
    assert (state.period_start, state.period_end) == (date(2016, 1, 1), date(2025, 12, 31))
    assert state.phase in (Phase.CLOSED, Phase.EVALUATION)
    kinds = Counter(e.type for a in appends for e in a.events)
    # Forty quarters; the last one's report would fall after the period has ended (the
    # plan is in evaluation by then), so 39 are measured.
    quarters = 39
    assert kinds["indicator_measured"] == quarters * len(state.indicators)
    assert kinds["milestone_added"] == len(state.milestones) >= 30
    assert kinds["milestone_completed"] > 0 and kinds["milestone_overdue"] > 0
    assert kinds["evaluation_started"] == 1  # raised by time, as the workflow's timer does
    due_years = {m.due_date.year for m in state.milestones.values()}
    assert len(due_years) >= 8  # milestones over the years, not only the first
    for indicator in state.indicators.values():
        assert indicator.reporting_frequency is ReportingFrequency.QUARTERLY
        assert len(indicator.measurements) == quarters
    first, last = appends[0].events[0].occurred_at, appends[-1].events[-1].occurred_at
    assert last - first > timedelta(days=365 * 10)


def test_each_country_opens_a_plan_a_year_earlier_each_time() -> None:
    ids = [long_plan_history(i, seed=3, years=10)[0].stream_id for i in (0, 249, 498)]
    assert len(set(ids)) == 3
    assert [i.rsplit("-", 1)[1] for i in ids] == ["2016", "2015", "2014"]


def test_holds_any_answers_as_scanning_every_day_would() -> None:
    rng = random.Random(5)
    periods = reporting_periods(date(2016, 1, 1), date(2025, 12, 31), ReportingFrequency.QUARTERLY)
    for _ in range(300):
        days = sorted(
            date(2016, 1, 1) + timedelta(days=rng.randrange(3653)) for _ in range(rng.randrange(12))
        )
        for period in periods:
            assert _holds_any(period, days) == any(period.holds(d) for d in days)
