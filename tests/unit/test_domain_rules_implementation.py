"""Rules of DOMAIN.md at their boundary (table-driven): implementation (progress, measures)."""

from __future__ import annotations

import pytest

from tests.unit.domain_builders import (
    FP,
    PERIOD_END,
    PERIOD_START,
    PM,
    T0,
    evaluation,
    implementation,
    ready_draft,
)
from tests.unit.rule_cases import (
    ONE_DAY,
    Case,
    c,
    check,
    completed_m1,
)

CASES = [
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
        completed_m1,
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
        completed_m1,
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
        completed_m1,
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
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_rule(case: Case) -> None:
    check(case)
