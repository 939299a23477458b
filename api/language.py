"""Which language and time zone a request is answered in.

One place decides, in this order (DHIS2's and Django's practice):

1. the language on the person's account, once they are signed in (``users.language``;
   ``account_language`` below is the hook a session fills in);
2. the choice made in this browser with the switcher (a cookie, so it also holds on the
   login page, before anyone is known);
3. the browser's ``Accept-Language``;
4. the deployment's default (``ACIP_DEFAULT_LANGUAGE``).

The reader's time zone comes from a cookie the dashboard's script sets from
``Intl.DateTimeFormat().resolvedOptions().timeZone``; without it instants are shown in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo
from urllib.parse import unquote

from fastapi import Request

from locales.catalogs import SOURCE_LANGUAGE, normalize
from locales.formatting import time_zone

LANGUAGE_COOKIE = "acip_language"
TIME_ZONE_COOKIE = "acip_tz"
# Accept-Language is read only this far: a header is the client's, and can be long.
MAX_ACCEPT_LANGUAGE = 400


def from_accept_language(header: str | None) -> str | None:
    """The best language of ``fr-CA,fr;q=0.9,en;q=0.8`` that we have, by weight."""
    if not header:
        return None
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header[:MAX_ACCEPT_LANGUAGE].split(",")):
        tag, _, parameters = part.strip().partition(";")
        weight = 1.0
        if parameters.strip().startswith("q="):
            try:
                weight = float(parameters.strip()[2:])
            except ValueError:
                continue
        code = normalize(tag)
        if code and weight > 0:
            weighted.append((-weight, position, code))
    return min(weighted)[2] if weighted else None


def choose_language(
    *,
    account: str | None,
    cookie: str | None,
    accept_language: str | None,
    default: str,
) -> str:
    """The order in the module's doc; each step only counts with a language we have."""
    return (
        normalize(account)
        or normalize(cookie)
        or from_accept_language(accept_language)
        or normalize(default)
        or SOURCE_LANGUAGE
    )


def deployment_default(request: Request) -> str:
    context = getattr(request.app.state, "context", None)
    return str(getattr(context, "default_language", SOURCE_LANGUAGE))


def account_language(request: Request) -> str | None:
    """The signed-in person's language, when the session has looked it up."""
    value = getattr(request.state, "account_language", None)
    return value if isinstance(value, str) else None


def request_language(request: Request) -> str:
    return choose_language(
        account=account_language(request),
        cookie=request.cookies.get(LANGUAGE_COOKIE),
        accept_language=request.headers.get("accept-language"),
        default=deployment_default(request),
    )


@dataclass(frozen=True)
class Reader:
    """Who a page is written for: their language and time zone."""

    language: str
    zone: tzinfo = UTC


def reader_of(request: Request) -> Reader:
    # The script percent-encodes the zone ("Africa%2FBamako"): a cookie value has no "/".
    zone = unquote(request.cookies.get(TIME_ZONE_COOKIE, ""))[:64]
    return Reader(request_language(request), time_zone(zone))
