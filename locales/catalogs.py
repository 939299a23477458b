"""The gettext catalogs beside this module, and the languages they cover.

``locales/<language>/LC_MESSAGES/messages.po`` is what translators edit; the ``.mo`` beside
it is compiled by ``make messages`` and checked in, so a fresh clone runs without a build
step (tests/unit/test_catalogs.py fails when a ``.mo`` is older than its ``.po``). A message
missing from a catalog, or a catalog missing altogether, reads in English: a page never
fails for want of a translation.
"""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parent
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
# Every message translated, checked by the catalog test.
COMPLETE_LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "pt")
# Navigation, key factors, phases and statuses translated; the rest reads in English and the
# page says so.
PARTIAL_LANGUAGES: tuple[str, ...] = ("ar",)
LANGUAGES: tuple[str, ...] = COMPLETE_LANGUAGES + PARTIAL_LANGUAGES
RIGHT_TO_LEFT: frozenset[str] = frozenset({"ar"})
# Each language named in itself, as a switcher shows it.
NATIVE_NAMES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "pt": "Português",
    "ar": "العربية",
}


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for "mark, translate later")
    """Mark a message for extraction where it is declared; it is translated where shown."""
    return message


def normalize(tag: str | None) -> str | None:
    """``fr-FR``, ``pt_BR``, ``AR`` -> a language we have, or None."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


@lru_cache(maxsize=len(LANGUAGES) + 1)
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of ``language``; English (the message ids themselves) when there is none."""
    if language == SOURCE_LANGUAGE or language not in LANGUAGES:
        return gettext.NullTranslations()
    return Translations.load(str(LOCALES_DIR), [language], DOMAIN)


# The language of the page or e-mail being written, so templates and helpers deep in a
# render need not pass it around; set per request (api.language) or per recipient.
current_language: ContextVar[str] = ContextVar("current_language", default=SOURCE_LANGUAGE)


def gettext_in(language: str, message: str) -> str:
    return translations(language).gettext(message)


def ngettext_in(language: str, singular: str, plural: str, n: int) -> str:
    return translations(language).ngettext(singular, plural, n)


def _(message: str) -> str:
    """Translate into the current language."""
    return gettext_in(current_language.get(), message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return ngettext_in(current_language.get(), singular, plural, n)


def is_complete(language: str) -> bool:
    return language in COMPLETE_LANGUAGES


def direction(language: str) -> str:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"
