"""Dates, instants, numbers and percentages as a reader of a language expects them (Babel's
CLDR data): "1 déc. 2026", "1.234,5", "42 %". Instants are shown in the reader's time zone;
the UTC instant stays one hover away (api/web/render.py puts it in ``title``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent

NONE = "\u2013"  # an en dash: "no value", quieter than a hyphen


def locale_of(language: str) -> Locale:
    # Latin digits everywhere: plan ids, versions and the figures people type in forms use
    # them, and a table that mixes two digit systems is harder to read than either.
    return Locale.parse(language)


def time_zone(name: str | None) -> tzinfo:
    """The zone a browser reported (an IANA name such as ``Africa/Bamako``), else UTC."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def day(value: object, language: str) -> str:
    """A calendar date, e.g. "Dec 1, 2026", "1 déc. 2026", "1 dic 2026"."""
    if value is None:
        return NONE
    parsed = _as_date(value)
    if parsed is None:
        return str(value)
    return format_date(parsed, format="medium", locale=locale_of(language))


def as_instant(value: object) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return None


def instant(value: object, language: str, zone: tzinfo = UTC) -> str:
    """An instant in ``zone``: "1 déc. 2026, 21:30 (Europe/Paris)", or "… UTC"."""
    moment = as_instant(value)
    if moment is None:
        return NONE if value is None else str(value)
    local = moment.astimezone(zone)
    locale = locale_of(language)
    text = (
        f"{format_date(local, format='medium', locale=locale)} "
        f"{format_time(local, format='short', locale=locale)}"
    )
    name = getattr(zone, "key", None)
    return f"{text} UTC" if zone is UTC or name in (None, "UTC", "Etc/UTC") else f"{text} ({name})"


def utc_instant(value: object) -> str:
    """The unambiguous form for a hover and for auditors: "2026-12-01 20:30:05 UTC"."""
    moment = as_instant(value)
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def number(value: object, language: str) -> str:
    """A measured or target value with the locale's separators, never rounded away."""
    if value is None:
        return NONE
    try:
        figure = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    return format_decimal(figure, format="#,##0.######", locale=locale_of(language))


def percent(value: object, language: str) -> str:
    """A share (0.42) as the locale writes a percentage: "42%", "42 %", "42 %"."""
    if value is None:
        return NONE
    try:
        share = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    return format_percent(share, locale=locale_of(language))
