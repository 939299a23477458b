"""Donors on plans: set at opening, changed by a programme manager on the record, and
absent (not unknown) on plans opened before donors were recorded."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain import DomainError, fold, parse_event
from tests.unit.domain_builders import FP, PM, T0, cmd, drafting, open_plan_cmd, opened, run


def test_donors_are_set_at_opening() -> None:
    assert opened(donors=["norad", "canada"]).donors == ["norad", "canada"]
    assert opened().donors == []


@pytest.mark.parametrize("donors", [["Norad"], ["norad", "norad"], ["x"], "norad", [1]])
def test_bad_donor_lists_are_refused_at_parse_time(donors: object) -> None:
    with pytest.raises(ValidationError):
        open_plan_cmd(donors=donors)


def test_a_manager_changes_the_donors_with_a_reason() -> None:
    state, events = run(
        drafting(), cmd("set_plan_donors", donors=["canada"], reason="Norad grant ended"), PM
    )
    assert state.donors == ["canada"]
    (changed,) = events
    assert changed.type == "plan_donors_changed"
    assert changed.previous == []
    assert changed.reason == "Norad grant ended"


def test_unchanged_donors_and_other_roles_are_refused() -> None:
    state = opened(donors=["norad"])
    with pytest.raises(DomainError) as same:
        run(state, cmd("set_plan_donors", donors=["norad"], reason="again"), PM)
    assert same.value.rule == "donors_unchanged"
    with pytest.raises(DomainError) as role:
        run(state, cmd("set_plan_donors", donors=[], reason="mine"), FP)
    assert role.value.rule == "not_permitted"


def test_a_plan_opened_before_donors_upcasts_to_none() -> None:
    v2 = {
        "plan_id": "GHA-2026",
        "country": "GHA",
        "administration": "Ghana Revenue Authority",
        "title": "Plan",
        "period_start": "2026-01-01",
        "period_end": "2027-12-31",
        "actor": "Pat",
        "at": T0.isoformat(),
    }
    state = fold([parse_event("plan_opened", v2, 2)])
    assert state is not None and state.donors == []
