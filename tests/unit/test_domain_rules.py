"""Every rule of DOMAIN.md, refused and allowed at its boundary (table-driven)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from domain import Actor, Command, DomainError, KeyFactor, PlanState, decide
from tests.unit.domain_builders import (
    AUDITOR,
    FP,
    FP_OTHER,
    HOA,
    HOA_OTHER,
    OBSERVER,
    PERIOD_END,
    PERIOD_START,
    PM,
    PM2,
    T0,
    add_milestone,
    cancelled,
    closed,
    cmd,
    define_indicator,
    drafting,
    evaluation,
    implementation,
    open_plan_cmd,
    opened,
    ready_draft,
    run,
    under_review,
    with_findings,
)


@dataclass(frozen=True)
class Case:
    id: str
    state: Callable[[], PlanState | None]
    command: Callable[[], Command]
    actor: Actor
    rule: str | None  # None: allowed
    events: tuple[str, ...] = ()
    now: datetime = T0


def none() -> None:
    return None


def c(type_: str, **fields: object) -> Callable[[], Command]:
    return lambda: cmd(type_, **fields)


def _approved_by_hoa() -> PlanState:
    return run(under_review(), cmd("approve_plan"), HOA)[0]


def _approved_by_pm() -> PlanState:
    return run(under_review(), cmd("approve_plan"), PM)[0]


def _submitted_by_pm() -> PlanState:
    return run(ready_draft(), cmd("submit_for_approval"), PM)[0]


def _changes_requested_after_hoa() -> PlanState:
    state = _approved_by_hoa()
    state = run(state, cmd("request_changes", reason="Add a milestone."), PM)[0]
    return run(state, cmd("submit_for_approval"), FP)[0]


def _draft_with_due(due: date) -> Callable[[], PlanState]:
    return lambda: define_indicator(add_milestone(drafting(), due=due))


def _completed_m1() -> PlanState:
    return run(implementation(), cmd("complete_milestone", milestone_id="M1", evidence="x"), FP)[0]


def _evaluation_rated(*factors: KeyFactor) -> Callable[[], PlanState]:
    def build() -> PlanState:
        state = evaluation()
        for kf in factors:
            state = run(
                state, cmd("rate_key_factor", key_factor=kf, rating="achieved", note="n"), PM
            )[0]
        return state

    return build


def _evaluation_two_factors() -> PlanState:
    state = add_milestone(ready_draft(), "M2", key_factor=KeyFactor.AUTOMATION)
    state = run(state, cmd("submit_for_approval"), FP)[0]
    state = run(state, cmd("approve_plan"), HOA)[0]
    state = run(state, cmd("approve_plan"), PM)[0]
    return run(state, cmd("start_evaluation"), PM)[0]


ONE_DAY = timedelta(days=1)
TEN = list(KeyFactor)

CASES = [
    # --- open_plan: identity and period
    Case("open ok", none, open_plan_cmd, PM, None, ("plan_opened",)),
    Case("open twice", opened, open_plan_cmd, PM, "plan_exists"),
    Case(
        "period end == start",
        none,
        lambda: open_plan_cmd(period_end=PERIOD_START.isoformat()),
        PM,
        "invalid_period",
    ),
    Case(
        "period end before start",
        none,
        lambda: open_plan_cmd(period_end=(PERIOD_START - ONE_DAY).isoformat()),
        PM,
        "invalid_period",
    ),
    Case(
        "period one day",
        none,
        lambda: open_plan_cmd(period_end=(PERIOD_START + ONE_DAY).isoformat()),
        PM,
        None,
        ("plan_opened",),
    ),
    Case(
        "period of fifteen years",
        none,
        lambda: open_plan_cmd(period_end="2040-12-31"),
        PM,
        None,
        ("plan_opened",),
    ),
    Case(
        "period longer than fifteen years",
        none,
        lambda: open_plan_cmd(period_end="2041-01-01"),
        PM,
        "period_too_long",
    ),
    Case(
        "period at the end of the calendar",
        none,
        lambda: open_plan_cmd(period_start="9999-01-01", period_end="9999-12-31"),
        PM,
        "date_out_of_range",
    ),
    Case(
        "period at the last date a plan holds",
        none,
        lambda: open_plan_cmd(period_start="9990-01-01", period_end="9990-12-31"),
        PM,
        None,
        ("plan_opened",),
    ),
    Case(
        "milestone due at the end of the calendar",
        drafting,
        c(
            "add_milestone",
            milestone_id="M9",
            title="t",
            key_factor="automation",
            due_date="9999-12-31",
        ),
        FP,
        "date_out_of_range",
    ),
    Case(
        "open for a made-up country",
        none,
        lambda: open_plan_cmd(country="XXA"),
        PM,
        "unknown_country",
    ),
    Case("open by focal point", none, open_plan_cmd, FP, "not_permitted"),
    Case("other command on no plan", none, c("complete_diagnostic"), PM, "plan_not_found"),
    # --- access: roles and scope
    Case("auditor writes", opened, c("complete_diagnostic"), AUDITOR, "not_permitted"),
    Case("observer writes", opened, c("complete_diagnostic"), OBSERVER, "not_permitted"),
    Case(
        "other country focal point",
        opened,
        c("record_diagnostic_finding", key_factor="automation", maturity=3, summary="s"),
        FP_OTHER,
        "out_of_scope",
    ),
    Case("other country head approves", under_review, c("approve_plan"), HOA_OTHER, "out_of_scope"),
    Case("focal point approves", under_review, c("approve_plan"), FP, "not_permitted"),
    Case(
        "head reports progress",
        implementation,
        c("report_milestone_progress", milestone_id="M1", percent=5, note="n"),
        HOA,
        "not_permitted",
    ),
    Case(
        "focal point reschedules",
        implementation,
        c("reschedule_milestone", milestone_id="M1", new_due_date="2026-07-31", reason="r"),
        FP,
        "not_permitted",
    ),
    Case("focal point cancels", drafting, c("cancel_plan", reason="r"), FP, "not_permitted"),
    # --- expected_version
    Case(
        "version matches",
        opened,
        c("complete_diagnostic", expected_version=1),
        FP,
        "diagnostic_incomplete",
    ),
    Case(
        "version stale",
        opened,
        c("complete_diagnostic", expected_version=0),
        FP,
        "version_conflict",
    ),
    Case(
        "version ahead",
        opened,
        c("cancel_plan", reason="r", expected_version=2),
        PM,
        "version_conflict",
    ),
    Case(
        "open expects 0",
        none,
        lambda: open_plan_cmd(expected_version=0),
        PM,
        None,
        ("plan_opened",),
    ),
    Case("open expects 1", none, lambda: open_plan_cmd(expected_version=1), PM, "version_conflict"),
    # --- diagnostic
    Case(
        "finding maturity 1",
        opened,
        c("record_diagnostic_finding", key_factor="automation", maturity=1, summary="s"),
        FP,
        None,
        ("diagnostic_finding_recorded",),
    ),
    Case(
        "finding maturity 5 by pm",
        opened,
        c("record_diagnostic_finding", key_factor="automation", maturity=5, summary="s"),
        PM,
        None,
        ("diagnostic_finding_recorded",),
    ),
    Case(
        "finding in drafting",
        drafting,
        c("record_diagnostic_finding", key_factor="automation", maturity=3, summary="s"),
        FP,
        "wrong_phase",
    ),
    Case(
        "complete with nine findings",
        lambda: with_findings(opened(), TEN[:9]),
        c("complete_diagnostic"),
        FP,
        "diagnostic_incomplete",
    ),
    Case(
        "complete with ten findings",
        lambda: with_findings(opened(), TEN),
        c("complete_diagnostic"),
        FP,
        None,
        ("diagnostic_completed",),
    ),
    # --- drafting
    Case(
        "add milestone in diagnostic",
        opened,
        c(
            "add_milestone",
            milestone_id="M9",
            title="t",
            key_factor="automation",
            due_date="2026-05-01",
        ),
        FP,
        "wrong_phase",
    ),
    Case(
        "duplicate milestone",
        ready_draft,
        c(
            "add_milestone",
            milestone_id="M1",
            title="t",
            key_factor="automation",
            due_date="2026-05-01",
        ),
        FP,
        "duplicate_milestone",
    ),
    Case(
        "second milestone",
        ready_draft,
        c(
            "add_milestone",
            milestone_id="M2",
            title="t",
            key_factor="automation",
            due_date="2026-05-01",
        ),
        FP,
        None,
        ("milestone_added",),
    ),
    Case(
        "remove unknown milestone",
        ready_draft,
        c("remove_milestone", milestone_id="M9"),
        FP,
        "unknown_milestone",
    ),
    Case(
        "remove milestone",
        ready_draft,
        c("remove_milestone", milestone_id="M1"),
        FP,
        None,
        ("milestone_removed",),
    ),
    Case(
        "duplicate indicator",
        ready_draft,
        c(
            "define_indicator",
            indicator_id="I1",
            name="n",
            key_factor="automation",
            unit="%",
            baseline=1,
            target=2,
        ),
        FP,
        "duplicate_indicator",
    ),
    Case(
        "remove unknown indicator",
        ready_draft,
        c("remove_indicator", indicator_id="I9"),
        FP,
        "unknown_indicator",
    ),
    Case(
        "remove indicator",
        ready_draft,
        c("remove_indicator", indicator_id="I1"),
        PM,
        None,
        ("indicator_removed",),
    ),
    Case(
        "milestone ids are case sensitive",
        ready_draft,
        c("remove_milestone", milestone_id="m1"),
        FP,
        "unknown_milestone",
    ),
    # --- submit_for_approval
    Case("submit ready", ready_draft, c("submit_for_approval"), FP, None, ("plan_submitted",)),
    Case(
        "submit without milestone",
        lambda: define_indicator(drafting()),
        c("submit_for_approval"),
        FP,
        "plan_not_ready",
    ),
    Case(
        "submit without indicator",
        lambda: add_milestone(drafting()),
        c("submit_for_approval"),
        FP,
        "plan_not_ready",
    ),
    Case(
        "submit due on start",
        _draft_with_due(PERIOD_START),
        c("submit_for_approval"),
        FP,
        None,
        ("plan_submitted",),
    ),
    Case(
        "submit due on end",
        _draft_with_due(PERIOD_END),
        c("submit_for_approval"),
        FP,
        None,
        ("plan_submitted",),
    ),
    Case(
        "submit due before start",
        _draft_with_due(PERIOD_START - ONE_DAY),
        c("submit_for_approval"),
        FP,
        "plan_not_ready",
    ),
    Case(
        "submit due after end",
        _draft_with_due(PERIOD_END + ONE_DAY),
        c("submit_for_approval"),
        FP,
        "plan_not_ready",
    ),
    Case(
        "submit target equals baseline",
        lambda: define_indicator(add_milestone(drafting()), baseline=5, target=5),
        c("submit_for_approval"),
        FP,
        "plan_not_ready",
    ),
    Case(
        "submit decreasing target",
        lambda: define_indicator(add_milestone(drafting()), baseline=5, target=4.99),
        c("submit_for_approval"),
        FP,
        None,
        ("plan_submitted",),
    ),
    Case("submit in review", under_review, c("submit_for_approval"), FP, "wrong_phase"),
    # --- four eyes and approvals
    Case(
        "head approves first",
        under_review,
        c("approve_plan"),
        HOA,
        None,
        ("plan_approval_granted",),
    ),
    Case(
        "pm approves first", under_review, c("approve_plan"), PM, None, ("plan_approval_granted",)
    ),
    Case(
        "pm completes approval",
        _approved_by_hoa,
        c("approve_plan"),
        PM,
        None,
        ("plan_approval_granted", "plan_approved"),
    ),
    Case(
        "head completes approval",
        _approved_by_pm,
        c("approve_plan"),
        HOA,
        None,
        ("plan_approval_granted", "plan_approved"),
    ),
    Case("submitter may not approve", _submitted_by_pm, c("approve_plan"), PM, "four_eyes"),
    Case(
        "other pm may approve",
        _submitted_by_pm,
        c("approve_plan"),
        PM2,
        None,
        ("plan_approval_granted",),
    ),
    Case("head approves twice", _approved_by_hoa, c("approve_plan"), HOA, "already_approved"),
    Case("second pm after pm", _approved_by_pm, c("approve_plan"), PM2, "already_approved"),
    Case(
        "approvals cleared by request_changes",
        _changes_requested_after_hoa,
        c("approve_plan"),
        HOA,
        None,
        ("plan_approval_granted",),
    ),
    Case("approve in drafting", ready_draft, c("approve_plan"), HOA, "wrong_phase"),
    Case("approve in implementation", implementation, c("approve_plan"), HOA, "wrong_phase"),
    Case(
        "request changes",
        _approved_by_hoa,
        c("request_changes", reason="r"),
        PM,
        None,
        ("plan_changes_requested",),
    ),
    Case(
        "request changes in drafting",
        ready_draft,
        c("request_changes", reason="r"),
        HOA,
        "wrong_phase",
    ),
    # --- implementation
    Case(
        "progress 0",
        implementation,
        c("report_milestone_progress", milestone_id="M1", percent=0, note="n"),
        FP,
        None,
        ("milestone_progress_reported",),
    ),
    Case(
        "progress 100",
        implementation,
        c("report_milestone_progress", milestone_id="M1", percent=100, note="n"),
        FP,
        None,
        ("milestone_progress_reported",),
    ),
    Case(
        "progress unknown milestone",
        implementation,
        c("report_milestone_progress", milestone_id="M2", percent=10, note="n"),
        FP,
        "unknown_milestone",
    ),
    Case(
        "progress on completed",
        _completed_m1,
        c("report_milestone_progress", milestone_id="M1", percent=10, note="n"),
        FP,
        "milestone_completed",
    ),
    Case(
        "progress in drafting",
        ready_draft,
        c("report_milestone_progress", milestone_id="M1", percent=10, note="n"),
        FP,
        "wrong_phase",
    ),
    Case(
        "complete milestone",
        implementation,
        c("complete_milestone", milestone_id="M1", evidence="e"),
        FP,
        None,
        ("milestone_completed",),
    ),
    Case(
        "complete twice",
        _completed_m1,
        c("complete_milestone", milestone_id="M1", evidence="e"),
        FP,
        "milestone_completed",
    ),
    Case(
        "complete in evaluation",
        evaluation,
        c("complete_milestone", milestone_id="M1", evidence="e"),
        FP,
        "wrong_phase",
    ),
    Case(
        "reschedule to period end",
        implementation,
        c(
            "reschedule_milestone",
            milestone_id="M1",
            new_due_date=PERIOD_END.isoformat(),
            reason="r",
        ),
        PM,
        None,
        ("milestone_rescheduled",),
    ),
    Case(
        "reschedule after period end",
        implementation,
        c(
            "reschedule_milestone",
            milestone_id="M1",
            new_due_date=(PERIOD_END + ONE_DAY).isoformat(),
            reason="r",
        ),
        PM,
        "out_of_period",
    ),
    Case(
        "reschedule before period start",
        implementation,
        c(
            "reschedule_milestone",
            milestone_id="M1",
            new_due_date=(PERIOD_START - ONE_DAY).isoformat(),
            reason="r",
        ),
        PM,
        "out_of_period",
    ),
    Case(
        "reschedule to today",
        implementation,
        c(
            "reschedule_milestone",
            milestone_id="M1",
            new_due_date=T0.date().isoformat(),
            reason="r",
        ),
        PM,
        None,
        ("milestone_rescheduled",),
    ),
    Case(
        "reschedule to yesterday",
        implementation,
        c(
            "reschedule_milestone",
            milestone_id="M1",
            new_due_date=(T0.date() - ONE_DAY).isoformat(),
            reason="r",
        ),
        PM,
        "invalid_value",
    ),
    Case(
        "reschedule to same date",
        implementation,
        c("reschedule_milestone", milestone_id="M1", new_due_date="2026-06-30", reason="r"),
        PM,
        "invalid_value",
    ),
    Case(
        "reschedule completed",
        _completed_m1,
        c("reschedule_milestone", milestone_id="M1", new_due_date="2026-07-31", reason="r"),
        PM,
        "milestone_completed",
    ),
    Case(
        "reschedule unknown",
        implementation,
        c("reschedule_milestone", milestone_id="M7", new_due_date="2026-07-31", reason="r"),
        PM,
        "unknown_milestone",
    ),
    Case(
        "measure today",
        implementation,
        c("record_measurement", indicator_id="I1", value=20, measured_on=T0.date().isoformat()),
        FP,
        None,
        ("indicator_measured",),
    ),
    Case(
        "measure tomorrow",
        implementation,
        c(
            "record_measurement",
            indicator_id="I1",
            value=20,
            measured_on=(T0.date() + ONE_DAY).isoformat(),
        ),
        FP,
        "measured_in_future",
    ),
    Case(
        "measure before the period",
        implementation,
        c(
            "record_measurement",
            indicator_id="I1",
            value=20,
            measured_on=(PERIOD_START - ONE_DAY).isoformat(),
        ),
        FP,
        "measured_before_period",
    ),
    Case(
        "measure on the first day",
        implementation,
        c("record_measurement", indicator_id="I1", value=20, measured_on=PERIOD_START.isoformat()),
        FP,
        None,
        ("indicator_measured",),
    ),
    Case(
        "measure in evaluation",
        evaluation,
        c("record_measurement", indicator_id="I1", value=20, measured_on="2026-01-02"),
        PM,
        None,
        ("indicator_measured",),
    ),
    Case(
        "measure in drafting",
        ready_draft,
        c("record_measurement", indicator_id="I1", value=20, measured_on="2026-01-02"),
        FP,
        "wrong_phase",
    ),
    Case(
        "measure unknown",
        implementation,
        c("record_measurement", indicator_id="I2", value=20, measured_on="2026-01-02"),
        FP,
        "unknown_indicator",
    ),
    Case(
        "revise target",
        implementation,
        c("revise_indicator_target", indicator_id="I1", new_target=40, reason="r"),
        PM,
        None,
        ("indicator_target_revised",),
    ),
    Case(
        "revise target to baseline",
        implementation,
        c("revise_indicator_target", indicator_id="I1", new_target=10, reason="r"),
        PM,
        "target_equals_baseline",
    ),
    Case(
        "revise target unchanged",
        implementation,
        c("revise_indicator_target", indicator_id="I1", new_target=50, reason="r"),
        PM,
        "invalid_value",
    ),
    Case(
        "revise target by focal point",
        implementation,
        c("revise_indicator_target", indicator_id="I1", new_target=40, reason="r"),
        FP,
        "not_permitted",
    ),
    Case(
        "revise unknown indicator",
        implementation,
        c("revise_indicator_target", indicator_id="X", new_target=40, reason="r"),
        PM,
        "unknown_indicator",
    ),
    # --- evaluation and closing
    Case(
        "start evaluation", implementation, c("start_evaluation"), PM, None, ("evaluation_started",)
    ),
    Case("start evaluation twice", evaluation, c("start_evaluation"), PM, "wrong_phase"),
    Case(
        "rate in implementation",
        implementation,
        c("rate_key_factor", key_factor="automation", rating="achieved", note="n"),
        PM,
        "wrong_phase",
    ),
    Case(
        "rate uncovered factor",
        evaluation,
        c("rate_key_factor", key_factor="automation", rating="not_achieved", note="n"),
        PM,
        None,
        ("key_factor_rated",),
    ),
    Case("close unrated", evaluation, c("close_plan", summary="s"), PM, "ratings_incomplete"),
    Case(
        "close rated",
        _evaluation_rated(KeyFactor.TRANSPARENCY),
        c("close_plan", summary="s"),
        PM,
        None,
        ("plan_closed",),
    ),
    Case(
        "close with one of two rated",
        lambda: run(
            _evaluation_two_factors(),
            cmd("rate_key_factor", key_factor="transparency", rating="achieved", note="n"),
            PM,
        )[0],
        c("close_plan", summary="s"),
        PM,
        "ratings_incomplete",
    ),
    Case(
        "close in implementation", implementation, c("close_plan", summary="s"), PM, "wrong_phase"
    ),
    # --- cancel
    Case("cancel diagnostic", opened, c("cancel_plan", reason="r"), PM, None, ("plan_cancelled",)),
    Case(
        "cancel under review",
        under_review,
        c("cancel_plan", reason="r"),
        PM,
        None,
        ("plan_cancelled",),
    ),
    Case(
        "cancel evaluation", evaluation, c("cancel_plan", reason="r"), PM, None, ("plan_cancelled",)
    ),
    Case("cancel closed", closed, c("cancel_plan", reason="r"), PM, "wrong_phase"),
    Case("cancel cancelled", cancelled, c("cancel_plan", reason="r"), PM, "wrong_phase"),
    Case("progress after cancel", cancelled, c("complete_diagnostic"), FP, "wrong_phase"),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_rule(case: Case) -> None:
    state = case.state()
    command = case.command()
    if case.rule is None:
        events = decide(state, command, case.actor, case.now)
        assert tuple(e.type for e in events) == case.events
    else:
        with pytest.raises(DomainError) as info:
            decide(state, command, case.actor, case.now)
        assert info.value.rule == case.rule
        assert str(info.value) == info.value.message
        assert info.value.message.endswith(".")


def test_case_ids_are_unique() -> None:
    assert len({case.id for case in CASES}) == len(CASES)


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
    state, _ = run(_approved_by_hoa(), cmd("request_changes", reason="More detail."), PM)
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
