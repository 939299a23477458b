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
