"""Rules of DOMAIN.md at their boundary (table-driven): diagnostic, drafting, submitting."""

from __future__ import annotations

import pytest

from tests.unit.domain_builders import (
    FP,
    PERIOD_END,
    PERIOD_START,
    PM,
    add_milestone,
    define_indicator,
    drafting,
    opened,
    ready_draft,
    under_review,
    with_findings,
)
from tests.unit.rule_cases import (
    ONE_DAY,
    TEN,
    Case,
    c,
    check,
    draft_with_due,
)

CASES = [
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
        draft_with_due(PERIOD_START),
        c("submit_for_approval"),
        FP,
        None,
        ("plan_submitted",),
    ),
    Case(
        "submit due on end",
        draft_with_due(PERIOD_END),
        c("submit_for_approval"),
        FP,
        None,
        ("plan_submitted",),
    ),
    Case(
        "submit due before start",
        draft_with_due(PERIOD_START - ONE_DAY),
        c("submit_for_approval"),
        FP,
        "plan_not_ready",
    ),
    Case(
        "submit due after end",
        draft_with_due(PERIOD_END + ONE_DAY),
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
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_rule(case: Case) -> None:
    check(case)
