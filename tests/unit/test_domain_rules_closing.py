"""Rules of DOMAIN.md at their boundary (table-driven): evaluation, closing, cancelling."""

from __future__ import annotations

import pytest

from domain import KeyFactor
from tests.unit.domain_builders import (
    FP,
    PM,
    cancelled,
    closed,
    cmd,
    evaluation,
    implementation,
    opened,
    run,
    under_review,
)
from tests.unit.rule_cases import (
    Case,
    c,
    check,
    evaluation_rated,
    evaluation_two_factors,
)

CASES = [
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
        evaluation_rated(KeyFactor.TRANSPARENCY),
        c("close_plan", summary="s"),
        PM,
        None,
        ("plan_closed",),
    ),
    Case(
        "close with one of two rated",
        lambda: run(
            evaluation_two_factors(),
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
    check(case)
