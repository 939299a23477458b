"""Templates, their filters, and the headers every dashboard page carries.

Every page is written for one reader (api.language.Reader): its words come from the gettext
catalogs (Jinja2's i18n extension, ``{% trans %}`` and ``_()``), its dates, numbers and
instants from Babel for that language and time zone. Both are held in context variables
for the length of one render, so a filter deep in a macro writes for the same reader.
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from api.language import LANGUAGE_COOKIE, Reader, reader_of
from locales import formatting
from locales.catalogs import (
    LANGUAGES,
    NATIVE_NAMES,
    current_language,
    direction,
    gettext_in,
    is_complete,
    ngettext_in,
)
from locales.describe import describe_in
from locales.terms import field_help, field_label, term

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# Everything the page needs is served by the app itself: no inline script, no third party.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    # The page's words depend on the cookie and Accept-Language: no shared cache may mix them.
    "Vary": "Accept-Language, Cookie",
}

_reader: ContextVar[Reader] = ContextVar("reader", default=Reader("en"))  # noqa: B039 (frozen)


def _language() -> str:
    return _reader.get().language


def _label(value: Any) -> str:
    return term(value, _language())


def _day(value: Any) -> str:
    return formatting.day(value, _language())


def _instant(value: Any) -> Markup | str:
    """The instant in the reader's zone, the UTC instant on hover and for machines."""
    moment = formatting.as_instant(value)
    if moment is None:
        return formatting.instant(value, _language())
    local = formatting.instant(moment, _language(), _reader.get().zone)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        moment.isoformat(), formatting.utc_instant(moment), local
    )


def _num(value: Any) -> str:
    return formatting.number(value, _language())


def _pct(value: Any) -> str:
    return formatting.percent(value, _language())


def _described(entry: Any) -> str:
    """An audit-trail entry's sentence in the reader's language (the recorded English
    sentence for an event this version cannot read)."""
    get = entry.get if isinstance(entry, dict) else lambda key: getattr(entry, key, None)
    return describe_in(
        _language(),
        str(get("type")),
        dict(get("data") or {}),
        int(get("schema_version") or 1),
        get("actor"),
        fallback=str(get("description") or ""),
    )


def _gettext(message: str) -> str:
    return gettext_in(_language(), message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return ngettext_in(_language(), singular, plural, n)


_environment = Environment(
    loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, extensions=["jinja2.ext.i18n"]
)
# newstyle: ``_("… %(name)s", name=value)`` escapes its values and never fails on a "%".
_environment.install_gettext_callables(  # type: ignore[attr-defined]
    _gettext, _ngettext, newstyle=True
)
templates = Jinja2Templates(env=_environment)
templates.env.filters.update(
    label=_label,
    day=_day,
    instant=_instant,
    num=_num,
    pct=_pct,
    described=_described,
    field_label=lambda name: field_label(name, _language()),
    field_help=lambda text: field_help(text, _language()),
)


def page_language(language: str) -> dict[str, Any]:
    """What base.html needs to mark up the page for ``language``."""
    return {
        "lang": language,
        "dir": direction(language),
        "partly_translated": not is_complete(language),
        "languages": [(code, NATIVE_NAMES[code]) for code in LANGUAGES],
    }


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    reader = reader_of(request)
    # Starlette renders inside TemplateResponse(), so the variables hold for the whole render.
    token, language_token = _reader.set(reader), current_language.set(reader.language)
    try:
        response = templates.TemplateResponse(
            request,
            name,
            {**page_language(reader.language), "here": _here(request), **context},
            status_code=status,
        )
    finally:
        _reader.reset(token)
        current_language.reset(language_token)
    response.headers.update(PAGE_HEADERS)
    response.headers["Content-Language"] = reader.language
    return response


def translate(request: Request, message: str) -> str:
    """``message`` (an English message id) in the language of the page being answered."""
    return gettext_in(reader_of(request).language, message)


def refusal_page(
    request: Request,
    status: int,
    title: str,
    message: str,
    *,
    session: Any = None,
    rule: str | None = None,
) -> HTMLResponse:
    """The error page for a refusal; ``title`` and ``message`` already in the reader's
    language (``translate``), ``rule`` the stable code when there is one."""
    return render(
        request,
        "error.html",
        status=status,
        session=session,
        error={"title": title, "message": message, "rule": rule},
    )


def _here(request: Request) -> str:
    """The page's own path, for the switcher to come back to."""
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path + query if request.url.path.startswith("/ui") else ""


__all__ = ["LANGUAGE_COOKIE", "PAGE_HEADERS", "refusal_page", "render", "templates", "translate"]
