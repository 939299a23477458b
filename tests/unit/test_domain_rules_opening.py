"""Rules of DOMAIN.md at their boundary (table-driven): opening, access, expected_version."""

from __future__ import annotations

import pytest

from tests.unit.domain_builders import (
    AUDITOR,
    FP,
    FP_OTHER,
    HOA,
    HOA_OTHER,
    OBSERVER,
    PERIOD_START,
    PM,
    drafting,
    implementation,
    open_plan_cmd,
    opened,
    under_review,
)
from tests.unit.rule_cases import (
    ONE_DAY,
    Case,
    c,
    check,
    none,
)

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
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_rule(case: Case) -> None:
    check(case)
