"""Dates, numbers, percentages, instants and the vocabulary as each language writes them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from api.language import choose_language, from_accept_language
from locales import formatting
from locales.terms import key_factor_name, term

DAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Dec 1, 2026"),
        ("fr", "1 déc. 2026"),
        ("es", "1 dic 2026"),
        ("pt", "1 de dez. de 2026"),
    ],
)
def test_dates_per_locale(language: str, expected: str) -> None:
    assert formatting.day(DAY, language) == expected
    assert formatting.day("2026-12-01", language) == expected  # as read models hold them


@pytest.mark.parametrize(
    ("language", "number", "percent"),
    [
        ("en", "1,234.5", "42%"),
        ("fr", "1\u202f234,5", "42\u00a0%"),
        ("es", "1.234,5", "42\u00a0%"),
        ("pt", "1.234,5", "42%"),
    ],
)
def test_numbers_and_percentages_per_locale(language: str, number: str, percent: str) -> None:
    assert formatting.number(1234.5, language) == number
    assert formatting.percent(0.42, language) == percent


def test_a_measured_value_is_never_rounded_away() -> None:
    assert formatting.number(0.125, "fr") == "0,125"
    assert formatting.number(12.0, "en") == "12"
    assert formatting.number(None, "fr") == formatting.NONE


def test_instants_in_the_readers_zone_and_utc_for_the_hover() -> None:
    moment = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    bamako = formatting.instant(moment, "fr", formatting.time_zone("Africa/Bamako"))
    assert bamako == "1 déc. 2026 23:30 (Africa/Bamako)"  # UTC+0 all year
    amman = formatting.instant(moment, "fr", formatting.time_zone("Asia/Amman"))
    assert amman == "2 déc. 2026 02:30 (Asia/Amman)"  # the next day there
    assert formatting.instant(moment, "en") == "Dec 1, 2026 11:30\u202fPM UTC"
    assert formatting.utc_instant(moment) == "2026-12-01 23:30:00 UTC"


def test_an_unknown_zone_is_utc() -> None:
    assert formatting.time_zone("Mars/Olympus") is UTC
    assert formatting.time_zone("") is UTC
    assert formatting.time_zone("../../etc/passwd") is UTC


@pytest.mark.parametrize(
    ("language", "names"),
    [
        (
            "fr",
            [
                "Leadership et engagement",
                "Cadre réglementaire",
                "Transparence",
                "Automatisation",
                "Réforme et modernisation",
                "Audit et enquête",
                "Code de conduite",
                "Gestion des ressources humaines",
                "Moral et culture organisationnelle",
                "Relations avec le secteur privé",
            ],
        ),
        ("es", ["Liderazgo y compromiso", "Marco normativo", "Transparencia"]),
        ("pt", ["Liderança e compromisso", "Quadro regulamentar", "Transparência"]),
        ("ar", ["القيادة والالتزام", "الإطار التنظيمي", "الشفافية"]),
    ],
)
def test_key_factor_names_per_locale(language: str, names: list[str]) -> None:
    from domain import KeyFactor

    assert [key_factor_name(k.value, language) for k in KeyFactor][: len(names)] == names


def test_codes_stay_codes_and_unknown_ones_read_as_words() -> None:
    assert term("under_review", "fr") == "En examen"
    assert term("focal_point", "fr") == "Point focal"
    assert term("a_code_from_the_future", "fr") == "a code from the future"


def test_language_choice_order() -> None:
    """Account, then the switcher's cookie, then Accept-Language, then the deployment's."""
    chosen = {"cookie": "es", "accept_language": "pt-MZ,pt;q=0.9", "default": "en"}
    assert choose_language(account="fr", **chosen) == "fr"
    assert choose_language(account=None, **chosen) == "es"
    assert choose_language(account=None, cookie=None, accept_language="pt-MZ", default="en") == "pt"
    assert choose_language(account=None, cookie="xx", accept_language="de", default="fr") == "fr"
    assert choose_language(account=None, cookie=None, accept_language=None, default="??") == "en"


def test_accept_language_weights() -> None:
    assert from_accept_language("de-DE,fr;q=0.4,es;q=0.8") == "es"
    assert from_accept_language("ar-JO") == "ar"
    assert from_accept_language("fr;q=0, en") == "en"
    assert from_accept_language("de, ja") is None
    assert from_accept_language("fr;q=abc, pt") == "pt"
