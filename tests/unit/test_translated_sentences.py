"""Refusals and audit-trail sentences in the reader's language; what people wrote stays."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain import describe
from domain.errors import DomainError
from domain.events import KeyFactorRated, PlanChangesRequested, PlanOpened
from domain.keyfactors import KeyFactor
from domain.state import RatingValue
from locales.describe import describe_in, fill
from locales.refusals import refusal_message

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _sentence(event: object, language: str) -> str:
    from domain.describe import sentence

    return fill(sentence(event), language)  # type: ignore[arg-type]


def test_refusal_follows_the_language_with_its_details() -> None:
    error = DomainError(
        "out_of_period",
        "The new due date 2031-01-01 is outside the plan period 2026-01-01 to 2028-12-31.",
        {"new_due_date": "2031-01-01", "period_start": "2026-01-01", "period_end": "2028-12-31"},
    )
    french = refusal_message(error.rule, error.details, error.message, "fr")
    assert french == (
        "La nouvelle échéance du 1 janv. 2031 sort de la période du plan, "
        "du 1 janv. 2026 au 31 déc. 2028."
    )


def test_refusal_names_roles_commands_and_key_factors_in_the_language() -> None:
    role = refusal_message(
        "not_permitted",
        {"command_type": "approve_plan", "role": "focal_point",
         "allowed_roles": ["head_of_administration", "programme_manager"]},
        "A focal point may not approve the plan; …",
        "es",
    )  # fmt: skip
    assert role == (
        "Su rol (punto focal) no le permite aprobar el plan; solo pueden hacerlo: "
        "jefe de la administración, responsable de programa."
    )
    missing = refusal_message(
        "diagnostic_incomplete",
        {"missing_key_factors": ["automation", "code_of_conduct"]},
        "…",
        "pt",
    )
    assert missing.endswith("faltam: Automatização, Código de conduta.")


def test_refusal_keeps_the_english_sentence_when_no_template_fits() -> None:
    english = "Something the domain says that has no template yet."
    assert refusal_message("a_rule_added_later", {}, english, "fr") == english
    assert refusal_message("four_eyes", {}, english, "fr") == english  # details missing
    assert refusal_message(None, None, english, "fr") == english


def test_refusal_picks_the_template_that_uses_its_details() -> None:
    past = refusal_message(
        "invalid_value", {"new_due_date": "2026-01-05", "today": "2026-02-01"}, "…", "fr"
    )
    assert past == "La nouvelle échéance du 5 janv. 2026 est déjà passée."


def test_audit_sentence_in_french_keeps_free_text_as_written() -> None:
    event = PlanChangesRequested(
        reason="Add the SPID baseline, please", role="head_of_administration", actor="Awa", at=AT
    )
    assert _sentence(event, "fr") == (
        "Awa a demandé des modifications du plan : Add the SPID baseline, please."
    )
    assert describe(event) == "Awa requested changes to the plan: Add the SPID baseline, please."


def test_audit_sentence_formats_dates_and_names_for_the_reader() -> None:
    opened = PlanOpened(
        plan_id="MLI-2026",
        country="MLI",
        administration="Direction générale des douanes du Mali",
        title="Plan",
        period_start=date(2026, 1, 1),
        period_end=date(2028, 12, 31),
        actor="wco.manager",
        at=AT,
    )
    assert _sentence(opened, "fr") == (
        "wco.manager a ouvert le plan MLI-2026 pour Direction générale des douanes du Mali "
        "(du 1 janv. 2026 au 31 déc. 2028)."
    )
    rated = KeyFactorRated(
        key_factor=KeyFactor.TRANSPARENCY,
        rating=RatingValue.PARTIALLY_ACHIEVED,
        note="Reglas publicadas.",
        actor="Ana",
        at=AT,
    )
    # The note the manager wrote closes the sentence, as written (never translated).
    assert _sentence(rated, "es") == (
        "Ana calificó «Transparencia»: parcialmente logrado. Reglas publicadas."
    )
    assert describe(rated) == "Ana rated transparency as partially achieved: Reglas publicadas."


def test_an_event_this_version_cannot_read_keeps_its_recorded_sentence() -> None:
    assert (
        describe_in("fr", "something_new", {"x": 1}, 1, "a", fallback="Recorded sentence.")
        == "Recorded sentence."
    )


def test_refusals_of_people_commands_follow_the_language() -> None:
    """The people page's refusals, from the rule and the details the API now sends."""
    import pytest

    from api.errors import ApiError
    from api.people import check_role_and_country, refuse
    from domain import Role

    exists = refuse("user_exists", "There is already a person named awa.", name="awa")
    assert exists.body()["details"] == {"name": "awa"}
    assert refusal_message("user_exists", {"name": "awa"}, exists.message, "fr") == (
        "Il existe déjà une personne nommée awa."
    )
    fixed = "The last programme manager keeps the role."
    assert refusal_message("last_programme_manager", None, fixed, "es") == (
        "El último responsable de programa conserva la función."
    )
    with pytest.raises(ApiError) as raised:
        check_role_and_country(Role.FOCAL_POINT, None)
    error = raised.value
    assert refusal_message(error.rule, error.extra["details"], error.message, "pt") == (
        "A função ponto focal exige um país (p. ex., GHA)."
    )
