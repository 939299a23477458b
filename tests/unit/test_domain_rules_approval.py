"""Rules of DOMAIN.md at their boundary (table-driven): four eyes and approvals."""

from __future__ import annotations

import pytest

from tests.unit.domain_builders import (
    HOA,
    PM,
    PM2,
    implementation,
    ready_draft,
    under_review,
)
from tests.unit.rule_cases import (
    Case,
    approved_by_hoa,
    approved_by_pm,
    c,
    changes_requested_after_hoa,
    check,
    submitted_by_pm,
)

CASES = [
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
        approved_by_hoa,
        c("approve_plan"),
        PM,
        None,
        ("plan_approval_granted", "plan_approved"),
    ),
    Case(
        "head completes approval",
        approved_by_pm,
        c("approve_plan"),
        HOA,
        None,
        ("plan_approval_granted", "plan_approved"),
    ),
    Case("submitter may not approve", submitted_by_pm, c("approve_plan"), PM, "four_eyes"),
    Case(
        "other pm may approve",
        submitted_by_pm,
        c("approve_plan"),
        PM2,
        None,
        ("plan_approval_granted",),
    ),
    Case("head approves twice", approved_by_hoa, c("approve_plan"), HOA, "already_approved"),
    Case("second pm after pm", approved_by_pm, c("approve_plan"), PM2, "already_approved"),
    Case(
        "approvals cleared by request_changes",
        changes_requested_after_hoa,
        c("approve_plan"),
        HOA,
        None,
        ("plan_approval_granted",),
    ),
    Case("approve in drafting", ready_draft, c("approve_plan"), HOA, "wrong_phase"),
    Case("approve in implementation", implementation, c("approve_plan"), HOA, "wrong_phase"),
    Case(
        "request changes",
        approved_by_hoa,
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
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_rule(case: Case) -> None:
    check(case)
