"""The access policy: who may send which command, on which country, and who may read."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain import (
    COMMAND_ROLES,
    COMMAND_TYPES,
    SYSTEM_ACTOR,
    Actor,
    DomainError,
    Role,
    authorize,
    can_read,
)
from tests.unit.domain_builders import AUDITOR, FP, FP_OTHER, HOA, OBSERVER, PM, cmd


def test_every_command_type_has_roles() -> None:
    assert set(COMMAND_ROLES) == set(COMMAND_TYPES)
    for roles in COMMAND_ROLES.values():
        assert Role.PROGRAMME_MANAGER in roles
        assert not roles & {Role.AUDITOR, Role.OBSERVER, Role.SYSTEM}


@pytest.mark.parametrize(
    ("actor", "rule"),
    [
        (PM, None),
        (FP, None),
        (HOA, "not_permitted"),
        (AUDITOR, "not_permitted"),
        (OBSERVER, "not_permitted"),
        (SYSTEM_ACTOR, "not_permitted"),
        (FP_OTHER, "out_of_scope"),
    ],
)
def test_authorize_complete_diagnostic(actor: Actor, rule: str | None) -> None:
    command = cmd("complete_diagnostic")
    if rule is None:
        authorize(command, actor, "GHA")
    else:
        with pytest.raises(DomainError) as info:
            authorize(command, actor, "GHA")
        assert info.value.rule == rule


def test_not_permitted_wins_over_scope() -> None:
    with pytest.raises(DomainError) as info:
        authorize(cmd("start_evaluation"), FP_OTHER, "GHA")
    assert info.value.rule == "not_permitted"


@pytest.mark.parametrize(
    ("actor", "country", "expected"),
    [
        (PM, "SEN", True),
        (AUDITOR, "SEN", True),
        (OBSERVER, "SEN", True),
        (Actor(name="Donor", role=Role.OBSERVER, country="GHA"), "GHA", True),
        (Actor(name="Donor", role=Role.OBSERVER, country="GHA"), "SEN", False),
        (FP, "GHA", True),
        (FP, "SEN", False),
        (HOA, "SEN", False),
    ],
)
def test_can_read(actor: Actor, country: str, expected: bool) -> None:
    assert can_read(actor, country) is expected


@pytest.mark.parametrize("role", [Role.FOCAL_POINT, Role.HEAD_OF_ADMINISTRATION])
def test_country_scoped_actor_needs_a_country(role: Role) -> None:
    with pytest.raises(ValidationError, match="country"):
        Actor(name="x", role=role)


def test_an_actor_country_is_an_assigned_code() -> None:
    """The shape is checked when the actor is built; whether the code is assigned, by decide
    (so actors recorded in workflow histories before that rule still load)."""
    from domain import decide
    from tests.unit.domain_builders import T0, opened

    made_up = Actor(name="x", role=Role.FOCAL_POINT, country="XYZ")
    with pytest.raises(DomainError) as info:
        decide(opened(), cmd("complete_diagnostic"), made_up, T0)
    assert info.value.rule == "unknown_country"
    assert info.value.details == {"field": "actor.country", "value": "XYZ"}


def test_domain_error_pickles_with_its_rule() -> None:
    import pickle

    e = pickle.loads(pickle.dumps(DomainError("four_eyes", "No.")))
    assert (e.rule, e.message, str(e)) == ("four_eyes", "No.", "No.")


def test_every_command_has_a_label() -> None:
    from domain.labels import COMMAND_LABELS

    assert set(COMMAND_LABELS) == set(COMMAND_TYPES)


def test_refusal_reads_as_a_sentence() -> None:
    with pytest.raises(DomainError) as info:
        authorize(cmd("start_evaluation"), HOA, "GHA")
    assert info.value.message == (
        "A head of administration may not start the evaluation; only a programme manager may."
    )


def test_refusals_carry_their_facts_as_details() -> None:
    """api/ maps details, never the sentence: a version conflict names both versions."""
    import pickle

    from domain import decide
    from tests.unit.domain_builders import T0, opened

    state = opened()
    with pytest.raises(DomainError) as info:
        decide(state, cmd("complete_diagnostic", expected_version=7), FP, T0)
    assert info.value.rule == "version_conflict"
    assert info.value.details == {"expected_version": 7, "actual_version": state.version}
    with pytest.raises(DomainError) as info:
        decide(state, cmd("start_evaluation"), FP, T0)
    assert info.value.details["allowed_roles"] == ["programme_manager"]
    assert pickle.loads(pickle.dumps(info.value)).details == info.value.details
