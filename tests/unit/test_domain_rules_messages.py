"""The messages of refusals, rule ordering and the state a command leaves behind."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain import DomainError, KeyFactor, PlanState, decide
from tests.unit import (
    test_domain_rules_approval,
    test_domain_rules_closing,
    test_domain_rules_drafting,
    test_domain_rules_implementation,
    test_domain_rules_opening,
)
from tests.unit.domain_builders import (
    FP,
    FP_OTHER,
    PERIOD_START,
    PM,
    T0,
    closed,
    cmd,
    define_indicator,
    drafting,
    evaluation,
    implementation,
    open_plan_cmd,
    opened,
    run,
    under_review,
    with_findings,
)
from tests.unit.rule_cases import ONE_DAY, approved_by_hoa, c

ALL_CASES = [
    *test_domain_rules_opening.CASES,
    *test_domain_rules_drafting.CASES,
    *test_domain_rules_approval.CASES,
    *test_domain_rules_implementation.CASES,
    *test_domain_rules_closing.CASES,
]


def test_case_ids_are_unique() -> None:
    assert len({case.id for case in ALL_CASES}) == len(ALL_CASES)


@pytest.mark.parametrize(
    ("state", "command_type"),
    [
        (opened, "add_milestone"),
        (drafting, "record_diagnostic_finding"),
        (under_review, "add_milestone"),
        (implementation, "submit_for_approval"),
        (evaluation, "report_milestone_progress"),
        (closed, "record_measurement"),
    ],
)
def test_wrong_phase_message_names_the_phase(
    state: Callable[[], PlanState], command_type: str
) -> None:
    all_fields: dict[str, dict[str, object]] = {
        "add_milestone": {
            "milestone_id": "Z",
            "title": "t",
            "key_factor": "automation",
            "due_date": "2026-02-01",
        },
        "record_diagnostic_finding": {"key_factor": "automation", "maturity": 2, "summary": "s"},
        "submit_for_approval": {},
        "report_milestone_progress": {"milestone_id": "M1", "percent": 1, "note": "n"},
        "record_measurement": {"indicator_id": "I1", "value": 1, "measured_on": "2026-01-02"},
    }
    fields = all_fields[command_type]
    s = state()
    with pytest.raises(DomainError) as info:
        decide(s, cmd(command_type, **fields), PM, T0)
    assert info.value.rule == "wrong_phase"
    assert s.phase.label in info.value.message


def test_version_conflict_names_expected_and_actual() -> None:
    state = opened()
    with pytest.raises(DomainError) as info:
        decide(state, cmd("complete_diagnostic", expected_version=7), PM, T0)
    assert "expected version 7" in info.value.message
    assert "actual version 1" in info.value.message


def test_access_is_checked_before_version_and_phase() -> None:
    with pytest.raises(DomainError) as info:
        decide(closed(), cmd("complete_diagnostic", expected_version=0), FP_OTHER, T0)
    assert info.value.rule == "out_of_scope"
    with pytest.raises(DomainError) as info:
        decide(closed(), cmd("cancel_plan", reason="r", expected_version=0), PM, T0)
    assert info.value.rule == "version_conflict"


def test_plan_not_ready_lists_every_problem() -> None:
    state = define_indicator(drafting(), baseline=3, target=3)
    with pytest.raises(DomainError) as info:
        decide(state, cmd("submit_for_approval"), FP, T0)
    assert "no milestone" in info.value.message
    assert "I1" in info.value.message


def test_recording_a_finding_again_replaces_it() -> None:
    state = with_findings(opened(), [KeyFactor.AUTOMATION])
    state, _ = run(
        state,
        cmd("record_diagnostic_finding", key_factor="automation", maturity=5, summary="x"),
        PM,
    )
    assert len(state.findings) == 1
    assert state.findings[KeyFactor.AUTOMATION].maturity == 5


def test_request_changes_clears_approvals_and_submitter() -> None:
    state, _ = run(approved_by_hoa(), cmd("request_changes", reason="More detail."), PM)
    assert state.phase == "drafting"
    assert state.approvals == []
    assert state.submitted_by is None
    assert state.changes_requested_reason == "More detail."


def test_plan_id_from_country_and_start_year() -> None:
    command = open_plan_cmd(country="SEN", period_start="2027-03-01", period_end="2029-02-28")
    state, _ = run(None, command, PM)
    assert state.plan_id == "SEN-2027"
    assert state.stream_id == "plan-SEN-2027"


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        decide(None, open_plan_cmd(), PM, T0.replace(tzinfo=None))


def test_unbounded_rules_decide_as_before_the_input_bounds() -> None:
    """What workflows replaying older histories use (workflows/plan.py, workflow.patched):
    the input-bound rules are left out, every other rule stays."""
    long_period = open_plan_cmd(country="XXA", period_end="2060-12-31")
    assert [e.type for e in decide(None, long_period, PM, T0, bounded=False)] == ["plan_opened"]
    with pytest.raises(DomainError) as info:
        decide(None, long_period, PM, T0)
    assert info.value.rule == "unknown_country"
    with pytest.raises(DomainError) as info:
        decide(None, open_plan_cmd(period_end="2025-12-31"), PM, T0, bounded=False)
    assert info.value.rule == "invalid_period"
    early = c(
        "record_measurement",
        indicator_id="I1",
        value=20,
        measured_on=(PERIOD_START - ONE_DAY).isoformat(),
    )()
    assert decide(implementation(), early, FP, T0, bounded=False)[0].type == "indicator_measured"
