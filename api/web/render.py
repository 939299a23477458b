"""Templates, their filters, and the headers every dashboard page carries."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

NONE = "\u2013"  # an en dash: "no value", quieter than a hyphen
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
}


def _label(value: Any) -> str:
    return "" if value is None else str(value).replace("_", " ")


def _day(value: Any) -> str:
    if value is None:
        return NONE
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def _instant(value: Any) -> str:
    if value is None:
        return NONE
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def _num(value: Any) -> str:
    return NONE if value is None else f"{float(value):g}"


def _pct(value: Any) -> str:
    return NONE if value is None else f"{float(value) * 100:.0f}%"


templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.filters.update(label=_label, day=_day, instant=_instant, num=_num, pct=_pct)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(PAGE_HEADERS)
    return response
