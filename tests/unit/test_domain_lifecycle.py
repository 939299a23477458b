"""A whole plan, open to close, with the events produced in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain import (
    EVENT_SCHEMA_VERSIONS,
    EVENT_TYPES,
    KeyFactor,
    PlanState,
    describe,
    due_events,
    event_data,
    fold,
    key_factor_status,
    next_deadline,
    parse_event,
)
from domain.events import Event
from tests.unit.domain_builders import FP, HOA, PM, T0, cmd, open_plan_cmd, run


def test_full_lifecycle() -> None:
    log: list[Event] = []
    clock = T0

    def step(state: PlanState | None, type_: str, actor: object, **fields: object) -> PlanState:
        nonlocal clock
        clock += timedelta(hours=1)
        new, events = run(state, cmd(type_, **fields), actor, clock)  # type: ignore[arg-type]
        log.extend(events)
        return new

    state, events = run(None, open_plan_cmd(), PM, clock)
    log.extend(events)
    for kf in KeyFactor:
        state = step(state, "record_diagnostic_finding", FP, key_factor=kf, maturity=2, summary="s")
    state = step(state, "complete_diagnostic", FP)
    state = step(
        state,
        "add_milestone",
        FP,
        milestone_id="M1",
        title="Publish the code of conduct",
        key_factor="code_of_conduct",
        due_date="2026-03-31",
    )
    state = step(
        state,
        "define_indicator",
        FP,
        indicator_id="I1",
        name="Staff trained",
        key_factor="code_of_conduct",
        unit="%",
        baseline=0,
        target=80,
    )
    state = step(state, "submit_for_approval", FP)
    state = step(state, "request_changes", HOA, reason="Add a source.")
    state = step(state, "submit_for_approval", FP)
    state = step(state, "approve_plan", HOA, comment="Agreed.")
    state = step(state, "approve_plan", PM)
    assert state.phase == "implementation"
    state = step(state, "report_milestone_progress", FP, milestone_id="M1", percent=50, note="n")
    state = step(state, "complete_milestone", FP, milestone_id="M1", evidence="Published.")
    state = step(
        state, "record_measurement", FP, indicator_id="I1", value=40, measured_on="2026-01-05"
    )
    state = step(state, "revise_indicator_target", PM, indicator_id="I1", new_target=70, reason="r")
    # Time ends the period: the system starts the evaluation.
    end = next_deadline(state)
    assert end == datetime(2028, 1, 1, tzinfo=UTC)
    timed = due_events(state, end)
    log.extend(timed)
    state = fold(timed, state)  # type: ignore[assignment]
    clock = end
    state = step(
        state, "record_measurement", PM, indicator_id="I1", value=70, measured_on="2027-12-31"
    )
    state = step(
        state, "rate_key_factor", PM, key_factor="code_of_conduct", rating="achieved", note="n"
    )
    state = step(state, "close_plan", PM, summary="Delivered.")

    assert [e.type for e in log] == [
        "plan_opened",
        *["diagnostic_finding_recorded"] * 10,
        "diagnostic_completed",
        "milestone_added",
        "indicator_defined",
        "plan_submitted",
        "plan_changes_requested",
        "plan_submitted",
        "plan_approval_granted",
        "plan_approval_granted",
        "plan_approved",
        "milestone_progress_reported",
        "milestone_completed",
        "indicator_measured",
        "indicator_target_revised",
        "evaluation_started",
        "indicator_measured",
        "key_factor_rated",
        "plan_closed",
    ]
    assert state.phase == "closed"
    assert state.version == len(log)
    assert [a.role for a in state.approvals] == ["head_of_administration", "programme_manager"]
    assert state.indicators["I1"].original_target == 80
    assert key_factor_status(state)[KeyFactor.CODE_OF_CONDUCT].status == "achieved"
    # Replay from the stored form gives the same state.
    stored = [(e.type, event_data(e)) for e in log]
    assert fold(parse_event(t, data) for t, data in stored) == state
    assert all(EVENT_SCHEMA_VERSIONS[t] in (1, 2, 3) for t, _ in stored)
    assert {t for t, _ in stored} <= set(EVENT_TYPES)
    assert all(describe(e).endswith(".") for e in log)
