"""The catalogs are complete and current, and a missing translation reads in English."""

from __future__ import annotations

from locales import maintain
from locales.catalogs import COMPLETE_LANGUAGES, gettext_in, translations


def test_catalogs_are_complete_current_and_compiled() -> None:
    """What `make check-messages` checks: no message untranslated in en, fr, es or pt, none
    the code no longer uses, none fuzzy, the same {places} as the English, .mo up to date."""
    found = list(maintain.problems())
    assert found == [], "\n".join(found[:20]) + "\n(run make messages, then translate)"


def test_every_complete_language_translates_the_key_factors() -> None:
    for language in COMPLETE_LANGUAGES[1:]:
        assert gettext_in(language, "Leadership and commitment") != "Leadership and commitment"


def test_a_message_no_catalog_has_reads_in_english() -> None:
    assert gettext_in("fr", "A sentence nobody translated.") == "A sentence nobody translated."
    assert gettext_in("ar", "Evidence:") == "Evidence:"  # Arabic: partial, falls back
    assert gettext_in("xx", "Plans") == "Plans"  # not a language we have


def test_the_checker_notices_an_unused_and_a_missing_message(monkeypatch: object) -> None:
    """The check is not vacuous: with one message added to the code and one catalog
    message gone from it, it names both."""
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    real = maintain.extract()
    template = maintain.extract()
    template.add("A new sentence in the code.")
    del template["Plans"]
    monkeypatch.setattr(maintain, "extract", lambda: template)
    found = list(maintain.problems())
    assert any("not in the catalog" in p and "A new sentence" in p for p in found)
    assert any("no longer used" in p and "'Plans'" in p for p in found)
    assert real["Plans"] is not None
    assert translations("fr").gettext("Plans") == "Plans"  # same word in French


def test_plan_not_ready_lists_its_reasons_in_the_readers_language() -> None:
    import pytest

    from domain import DomainError
    from domain.guards import check_ready
    from locales.refusals import refusal_message
    from tests.unit.domain_builders import define_indicator, drafting

    with pytest.raises(DomainError) as info:
        check_ready(define_indicator(drafting(), baseline=3, target=3))
    error = info.value
    assert refusal_message(error.rule, error.details, error.message, "fr") == (
        "Le plan ne peut pas encore être soumis : il ne comporte aucun jalon; "
        "la cible de l'indicateur I1 est égale à sa valeur de référence."
    )
    assert refusal_message(error.rule, error.details, error.message, "en") == error.message


def test_the_scope_check_and_the_attempts_summary_read_in_the_readers_language() -> None:
    from api.attempts import sentence
    from api.scope import not_found
    from locales.refusals import refusal_message

    error = not_found("GHA-2026")
    details = error.body()["details"]
    assert refusal_message(error.rule, details, error.message, "es") == (
        "No existe ningún plan GHA-2026 que usted pueda consultar."
    )
    counts = {"total": 3, "by_rule": {"four_eyes": 2, "wrong_phase": 1}}
    assert sentence(counts) == "3 refused attempts, 2 four-eyes, 1 wrong-phase"
    assert sentence(counts, "fr") == "3 tentatives refusées, 2 four-eyes, 1 wrong-phase"


def test_arabic_translates_the_navigation_and_the_vocabulary_and_says_it_is_partial() -> None:
    """Arabic may fall back to English, but never in what every page shows: the
    navigation, key factors, phases, statuses, roles; and its catalog says it is partial."""
    from locales import terms
    from locales.catalogs import PARTIAL_LANGUAGES

    navigation = ["Portfolio", "Plans", "Overdue milestones", "Audit", "Reports", "People",
                  "Security", "Log out", "Language", "Skip to content", "Your account"]  # fmt: skip
    vocabulary = [
        *terms.KEY_FACTOR_NAMES.values(),
        *terms.PHASE_NAMES.values(),
        *terms.STATUS_NAMES.values(),
        *terms.ROLE_NAMES.values(),
        *terms.REPORTING_FREQUENCIES.values(),
    ]
    untranslated = [m for m in navigation + vocabulary if gettext_in("ar", m) == m]
    assert untranslated == []
    assert "ar" in PARTIAL_LANGUAGES and "ar" not in COMPLETE_LANGUAGES
    header = maintain.po_path("ar").read_text(encoding="utf-8").split("msgid", 1)[0]
    assert "PARTIAL" in header
