"""The audit trail's sentences in the reader's language.

The domain writes each sentence as an English message with named places
(domain.describe.sentence); here the message is translated and each value formatted for
the reader: key factors, roles and ratings by name, dates and numbers for the locale.
Text people wrote (titles, reasons, names) goes in as it was recorded.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain import parse_event
from domain.describe import Sentence, sentence
from domain.keyfactors import KeyFactor
from domain.roles import Role
from domain.state import RatingValue
from locales import formatting
from locales.catalogs import gettext_in
from locales.terms import key_factor_name, role_name, term


def localized(value: Any, language: str) -> str:
    if isinstance(value, KeyFactor):
        return key_factor_name(value.value, language)
    if isinstance(value, Role):
        return role_name(value.value, language).lower()
    if isinstance(value, RatingValue):
        return term(value.value, language).lower()
    if isinstance(value, datetime | date):
        return formatting.day(value, language)
    if isinstance(value, float):
        return formatting.number(value, language)
    return str(value)


def fill(message: Sentence, language: str) -> str:
    """Translate the template; a translation that names a place the English does not have
    is a translator's slip, so the English sentence is shown rather than an error."""
    values = {name: localized(value, language) for name, value in message.values.items()}
    try:
        return gettext_in(language, message.template).format(**values)
    except (KeyError, IndexError, ValueError):
        return message.template.format(**values)


def describe_in(
    language: str,
    event_type: str,
    data: dict[str, Any],
    schema_version: int = 1,
    actor: str | None = None,
    fallback: str = "",
) -> str:
    """The sentence for a stored event; ``fallback`` (the English description the audit
    trail already carries) for an event this version cannot read."""
    try:
        event = parse_event(event_type, data, schema_version)
    except Exception:
        return fallback or event_type
    return fill(sentence(event, actor), language)
