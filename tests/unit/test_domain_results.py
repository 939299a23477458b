"""The results framework's rules: outcomes, target paths, reporting periods, measurement_due,
the final assessment, and old events read in the new shape."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain import DomainError, PlanState, due_events, fold, next_deadline, parse_event
from domain.benchmarks import expected_of, indicator_status
from domain.periods import reporting_periods
from domain.state import IndicatorState, Measurement, PeriodTarget, ReportingFrequency
from domain.timers import measurement_due_at
from tests.unit.domain_builders import (
    FP,
    HOA,
    PERIOD_END,
    PERIOD_START,
    PM,
    T0,
    add_milestone,
    cmd,
    drafting,
    evaluation,
    implementation,
    run,
)


def refused(state: PlanState, rule: str, type_: str, actor: Any = FP, **fields: Any) -> None:
    from domain import decide

    with pytest.raises(DomainError) as error:
        decide(state, cmd(type_, **fields), actor, T0)
    assert error.value.rule == rule, error.value


def outcome(state: PlanState, outcome_id: str, parent: str | None = None) -> PlanState:
    fields: dict[str, Any] = {"outcome_id": outcome_id, "title": f"Outcome {outcome_id}"}
    fields["key_factors"] = ["transparency", "automation"]
    if parent:
        fields["parent_id"] = parent
    return run(state, cmd("add_outcome", **fields), FP)[0]


def indicator(state: PlanState, indicator_id: str = "I1", **fields: Any) -> PlanState:
    base: dict[str, Any] = {
        "indicator_id": indicator_id,
        "name": f"Indicator {indicator_id}",
        "key_factor": "transparency",
        "unit": "%",
        "baseline": 10,
        "target": 50,
    }
    return run(state, cmd("define_indicator", **{**base, **fields}), FP)[0]


# Outcomes ---------------------------------------------------------------------------------


def test_outcomes_nest_general_to_specific() -> None:
    state = outcome(outcome(drafting(), "O1"), "O1.1", parent="O1")
    assert state.outcomes["O1.1"].parent_id == "O1"
    assert state.outcomes["O1"].key_factors == ["transparency", "automation"]
    refused(state, "outcome_nesting", "add_outcome", outcome_id="X", title="t",
            key_factors=["automation"], parent_id="O1.1")  # fmt: skip
    refused(state, "unknown_outcome", "add_outcome", outcome_id="X", title="t",
            key_factors=["automation"], parent_id="O9")  # fmt: skip
    refused(state, "duplicate_outcome", "add_outcome", outcome_id="O1", title="t",
            key_factors=["automation"])  # fmt: skip


def test_outcome_needs_a_key_factor() -> None:
    with pytest.raises(ValueError):
        cmd("add_outcome", outcome_id="O1", title="t", key_factors=[])


def test_outcome_in_use_cannot_be_removed() -> None:
    state = outcome(outcome(drafting(), "O1"), "O1.1", parent="O1")
    refused(state, "outcome_in_use", "remove_outcome", outcome_id="O1")
    state = indicator(state, outcome_id="O1.1")
    refused(state, "outcome_in_use", "remove_outcome", outcome_id="O1.1")
    state = run(state, cmd("remove_indicator", indicator_id="I1"), FP)[0]
    state = run(state, cmd("remove_outcome", outcome_id="O1.1"), FP)[0]
    state = run(state, cmd("remove_outcome", outcome_id="O1"), FP)[0]
    assert state.outcomes == {}
    refused(state, "unknown_outcome", "remove_outcome", outcome_id="O1")


def test_items_name_known_outcomes_only() -> None:
    state = outcome(drafting(), "O1")
    refused(state, "unknown_outcome", "add_milestone", milestone_id="M1", title="t",
            key_factor="automation", due_date="2026-06-30", outcome_id="O2")  # fmt: skip
    refused(state, "unknown_outcome", "define_indicator", indicator_id="I1", name="n",
            key_factor="automation", unit="%", baseline=0, target=1, outcome_id="O2")  # fmt: skip


def test_submission_rules_of_a_plan_with_outcomes() -> None:
    state = outcome(outcome(drafting(), "O1"), "O1.1", parent="O1")
    state = outcome(state, "O2")
    state = indicator(add_milestone(state), outcome_id="O1.1")
    with pytest.raises(DomainError) as error:
        from domain import decide

        decide(state, cmd("submit_for_approval"), FP, T0)
    problems = error.value.details["problems"]
    assert "milestone M1 names no outcome" in problems
    assert "outcome O2 has no indicator (its own or a child's)" in problems
    # O1 is covered by its child's indicator.
    assert not any("outcome O1 " in p for p in problems)


def test_flat_plan_submits_as_before() -> None:
    state = indicator(add_milestone(drafting()))
    state = run(state, cmd("submit_for_approval"), FP)[0]
    assert state.phase == "under_review"


# Period targets and the target path -------------------------------------------------------


def test_period_targets_strictly_increasing_inside_the_period() -> None:
    state = drafting()
    base = {"indicator_id": "I1", "name": "n", "key_factor": "automation", "unit": "%",
            "baseline": 0, "target": 10}  # fmt: skip
    for targets in (
        [{"due": "2026-06-30", "target": 2}, {"due": "2026-06-30", "target": 3}],
        [{"due": "2026-12-31", "target": 2}, {"due": "2026-06-30", "target": 3}],
        [{"due": PERIOD_END.isoformat(), "target": 2}],
        [{"due": PERIOD_START.isoformat(), "target": 2}],
        [{"due": "2030-01-01", "target": 2}],
    ):
        refused(state, "invalid_period_targets", "define_indicator", **base,
                period_targets=targets)  # fmt: skip
    state = indicator(state, period_targets=[{"due": "2026-12-31", "target": 20}])
    assert state.indicators["I1"].period_targets == [
        PeriodTarget(due=date(2026, 12, 31), target=20)
    ]


def _indicator(**fields: Any) -> IndicatorState:
    base: dict[str, Any] = dict(
        indicator_id="I1", name="n", key_factor="transparency", unit="%",
        baseline=10, target=50, original_target=50,
    )  # fmt: skip
    return IndicatorState(**{**base, **fields})


def _measured(i: IndicatorState, value: float, on: date) -> IndicatorState:
    m = Measurement(value=value, measured_on=on, recorded_at=T0)
    return i.model_copy(update={"measurements": [m]})


# Plan period 2026-01-01 to 2027-12-31 (729 days from start to end). Hand-checked:
#  - flat: expected = days elapsed / 729, the formula before period targets;
#  - increasing with a 2026-12-31 target of 20: path(2026-12-31) = 20 -> (20-10)/40 = 0.25;
#  - decreasing 40 -> 10 with (2026-07-01, 35): on that boundary path = 35 -> 5/30 = 1/6;
#    on 2027-04-01, 274 of the 548 days from 2026-07-01 to 2027-12-31: path = 22.5 ->
#    (22.5-40)/(10-40) = 0.58333;
#  - the decreasing path revised to (2026-07-01, 38): expected on 2026-07-01 = 2/30.
TABLE = [
    # baseline, target, period targets, value, measured_on, expected, status
    (10, 50, [], 30, date(2026, 12, 31), 364 / 729, "on_track"),
    (10, 50, [], 10, date(2026, 12, 31), 364 / 729, "off_track"),
    (10, 50, [(date(2026, 12, 31), 20)], 20, date(2026, 12, 31), 0.25, "on_track"),
    (10, 50, [(date(2026, 12, 31), 20)], 14, date(2026, 12, 31), 0.25, "at_risk"),
    # 181 of the 365 days from 2026-12-31 (20) to 2027-12-31 (50): path = 34.877
    (
        10,
        50,
        [(date(2026, 12, 31), 20)],
        50,
        date(2027, 6, 30),
        (20 + 30 * 181 / 365 - 10) / 40,
        "achieved",
    ),
    (40, 10, [(date(2026, 7, 1), 35)], 40, date(2026, 7, 1), 1 / 6, "at_risk"),
    (40, 10, [(date(2026, 7, 1), 35)], 30, date(2026, 7, 1), 1 / 6, "on_track"),
    (40, 10, [(date(2026, 7, 1), 35)], 25, date(2027, 4, 1), 0.58333333, "on_track"),
    (40, 10, [(date(2026, 7, 1), 35)], 30, date(2027, 4, 1), 0.58333333, "at_risk"),
    (40, 10, [(date(2026, 7, 1), 38)], 40, date(2026, 7, 1), 2 / 30, "on_track"),
    (40, 10, [(date(2026, 7, 1), 35)], 45, date(2026, 7, 1), 1 / 6, "off_track"),
]


@pytest.mark.parametrize(("b", "t", "path", "value", "on", "expected", "status"), TABLE)
def test_benchmark_follows_the_target_path(
    b: float,
    t: float,
    path: list[tuple[date, float]],
    value: float,
    on: date,
    expected: float,
    status: str,
) -> None:
    targets = [PeriodTarget(due=d, target=v) for d, v in path]
    i = _measured(_indicator(baseline=b, target=t, period_targets=targets), value, on)
    result = indicator_status(i, PERIOD_START, PERIOD_END)
    assert result.expected == pytest.approx(expected, abs=1e-6)
    assert result.status == status


def test_without_period_targets_the_formula_is_exactly_as_before() -> None:
    for day in (date(2026, 1, 1), date(2026, 5, 17), date(2027, 12, 31), date(2028, 3, 1)):
        i = _measured(_indicator(), 20, day)
        assert indicator_status(i, PERIOD_START, PERIOD_END).expected == expected_of(
            day, PERIOD_START, PERIOD_END
        )


def _implementation_with(**fields: Any) -> PlanState:
    state = indicator(add_milestone(drafting()), **fields)
    state = run(state, cmd("submit_for_approval"), FP)[0]
    state = run(state, cmd("approve_plan"), HOA)[0]
    return run(state, cmd("approve_plan"), PM)[0]


def test_revised_path_keeps_the_original_visible() -> None:
    state = _implementation_with(period_targets=[{"due": "2026-12-31", "target": 20}])
    revise = {"indicator_id": "I1", "new_target": 50, "reason": "Survey moved"}
    refused(state, "invalid_value", "revise_indicator_target", PM, **revise)
    refused(state, "invalid_value", "revise_indicator_target", PM, **revise,
            new_period_targets=[{"due": "2026-12-31", "target": 20}])  # fmt: skip
    refused(state, "invalid_period_targets", "revise_indicator_target", PM, **revise,
            new_period_targets=[{"due": "2029-12-31", "target": 20}])  # fmt: skip
    new_path = [{"due": "2027-03-31", "target": 25}]
    state, events = run(
        state, cmd("revise_indicator_target", **revise, new_period_targets=new_path), PM
    )
    i = state.indicators["I1"]
    assert i.period_targets == [PeriodTarget(due=date(2027, 3, 31), target=25)]
    assert i.original_period_targets == [PeriodTarget(due=date(2026, 12, 31), target=20)]
    assert i.target == i.original_target == 50
    assert events[0].previous_period_targets == i.original_period_targets  # type: ignore[union-attr]
    # Revising only the end target leaves the path as it is.
    state = run(state, cmd("revise_indicator_target", indicator_id="I1", new_target=60,
                           reason="More staff"), PM)[0]  # fmt: skip
    assert state.indicators["I1"].period_targets == i.period_targets


def test_measured_on_not_before_baseline_date() -> None:
    state = _implementation_with(baseline_date="2025-06-30")
    now = datetime(2026, 5, 1, tzinfo=UTC)
    from domain import decide

    early = cmd("record_measurement", indicator_id="I1", value=12, measured_on="2025-06-01")
    with pytest.raises(DomainError) as error:
        decide(state, early, FP, now)
    assert error.value.rule == "measured_before_period"
    # After the baseline date but before the plan period: the baseline's own survey round.
    ok = cmd("record_measurement", indicator_id="I1", value=12, measured_on="2025-12-01")
    assert decide(state, ok, FP, now)


# Reporting periods --------------------------------------------------------------------------


def test_reporting_periods_step_from_period_start_and_cut_at_period_end() -> None:
    quarters = reporting_periods(PERIOD_START, PERIOD_END, ReportingFrequency.QUARTERLY)
    assert len(quarters) == 8
    assert (quarters[0].starts, quarters[0].ends) == (date(2026, 1, 1), date(2026, 3, 31))
    assert quarters[-1].ends == PERIOD_END
    cut = reporting_periods(date(2026, 1, 1), date(2027, 5, 15), ReportingFrequency.ANNUAL)
    assert [(p.starts, p.ends) for p in cut] == [
        (date(2026, 1, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 5, 15)),
    ]
    ends = reporting_periods(date(2026, 1, 31), date(2026, 12, 31), ReportingFrequency.QUARTERLY)
    assert [p.starts for p in ends] == [date(2026, 1, 31), date(2026, 4, 30), date(2026, 7, 31),
                                        date(2026, 10, 31)]  # fmt: skip
    survey = reporting_periods(PERIOD_START, PERIOD_END, ReportingFrequency.BIENNIAL)
    assert [(p.starts, p.ends) for p in survey] == [(PERIOD_START, PERIOD_END)]


# measurement_due ------------------------------------------------------------------------------


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def quarterly() -> PlanState:
    return _implementation_with(reporting_frequency="quarterly")


def test_a_missed_quarter_calls_for_a_measurement_once() -> None:
    state = quarterly()
    q1_due = midnight(date(2026, 3, 31) + timedelta(days=31))  # 30 grace days
    assert next_deadline(state) == min(q1_due, midnight(date(2026, 6, 24)))  # M1's due-soon
    events = [e for e in due_events(state, q1_due) if e.type != "reminder_sent" or
              getattr(e, "kind", "") == "measurement_due"]  # fmt: skip
    due = [e for e in events if e.type in ("measurement_due", "reminder_sent")]
    assert [e.type for e in due] == ["measurement_due", "reminder_sent"]
    assert due[0].period_ends == date(2026, 3, 31)  # type: ignore[union-attr]
    assert due[0].missed_periods == 1  # type: ignore[union-attr]
    assert due[1].indicator_id == "I1" and due[1].kind == "measurement_due"  # type: ignore[union-attr]
    state = fold(due, state)  # type: ignore[assignment]
    assert state.indicators["I1"].measurement_due_through == date(2026, 3, 31)
    # Once per period: nothing more for Q1.
    assert not [e for e in due_events(state, q1_due + timedelta(days=5)) if
                e.type == "measurement_due"]  # fmt: skip


def test_a_measurement_dated_inside_the_period_stops_it() -> None:
    state = quarterly()
    # Dated on the period's last day: inside (both ends count).
    measure = cmd("record_measurement", indicator_id="I1", value=15, measured_on="2026-03-31")
    state = run(state, measure, FP, datetime(2026, 4, 2, tzinfo=UTC))[0]
    q2_due = midnight(date(2026, 6, 30) + timedelta(days=31))
    kinds = [e.type for e in due_events(state, q2_due - timedelta(days=1))]
    assert "measurement_due" not in kinds
    deadlines = next_deadline(state, measurements=True), next_deadline(state, measurements=False)
    assert deadlines[0] == deadlines[1]  # Q1 measured; Q2's call is after M1's due-soon


def test_catch_up_after_a_long_stop_raises_one_per_indicator() -> None:
    state = _implementation_with(reporting_frequency="quarterly")
    state = indicator_in_implementation(state)
    late = midnight(date(2027, 3, 1))  # five quarters ended, four past their grace days
    events = [e for e in due_events(state, late) if e.type == "measurement_due"]
    assert [(e.indicator_id, e.period_ends, e.missed_periods) for e in events] == [
        ("I1", date(2026, 9, 30), 3),
        ("I2", date(2026, 12, 31), 4),
    ]
    state = fold(due_events(state, late), state)  # type: ignore[assignment]
    # The next one is the next period's, never a back-dated repeat.
    assert not [
        e for e in due_events(state, late + timedelta(days=1)) if e.type == "measurement_due"
    ]
    assert state.indicators["I2"].measurements_due_sent == 1
    assert measurement_due_at(
        reporting_periods(PERIOD_START, PERIOD_END, ReportingFrequency.QUARTERLY)[4],
        state.reminder_policy,
    ) == midnight(date(2027, 5, 1))


def indicator_in_implementation(state: PlanState) -> PlanState:
    """Adds I2, a quarterly copy of I1 never measured, and measures I1 in Q4 2026 only: the
    catch-up then asks I1 for Q3 (three missed before it) and I2 for Q4 (four missed)."""
    i2 = state.indicators["I1"].model_copy(update={"indicator_id": "I2"})
    measured_q4 = Measurement(value=20, measured_on=date(2026, 12, 1), recorded_at=T0)
    i1 = state.indicators["I1"].model_copy(update={"measurements": [measured_q4]})
    return state.model_copy(update={"indicators": {"I1": i1, "I2": i2}})


def test_grace_days_come_from_the_reminder_policy() -> None:
    state = quarterly()
    policy = state.reminder_policy.model_copy(update={"measurement_grace_days": 10})
    q1 = reporting_periods(PERIOD_START, PERIOD_END, ReportingFrequency.QUARTERLY)[0]
    assert measurement_due_at(q1, policy) == midnight(date(2026, 4, 11))


# The final assessment ---------------------------------------------------------------------


def test_final_assessment_in_evaluation() -> None:
    fields = {"key_factor": "transparency", "maturity": 4, "summary": "Rulings published"}
    refused(implementation(), "wrong_phase", "record_final_assessment", **fields)
    state = run(evaluation(), cmd("record_final_assessment", **fields), FP)[0]
    assert state.final_assessments["transparency"].maturity == 4  # type: ignore[index]
    assert state.findings  # the diagnostic's maturity stays beside it
    with pytest.raises(ValueError):
        cmd("record_final_assessment", key_factor="transparency", maturity=6, summary="s")


# Old events -----------------------------------------------------------------------------------


def test_indicator_defined_v2_reads_as_annual_flat_and_outside_outcomes() -> None:
    stored = {"indicator_id": "I1", "name": "n", "key_factor": "automation", "unit": "%",
              "baseline": 1, "target": 2, "actor": "Kofi",
              "at": "2026-01-05T10:00:00Z"}  # fmt: skip
    event = parse_event("indicator_defined", stored, 2)
    assert event.reporting_frequency == "annual"  # type: ignore[union-attr]
    assert event.period_targets == [] and event.outcome_id is None  # type: ignore[union-attr]
    reminder = parse_event(
        "reminder_sent",
        {"milestone_id": "M1", "kind": "overdue", "due_date": "2026-05-01",
         "at": "2026-05-02T00:00:00Z"},
        1,
    )  # fmt: skip
    assert reminder.indicator_id is None and reminder.milestone_id == "M1"  # type: ignore[union-attr]
