"""What the dashboard says after a command and when it refuses one: the confirmation
line, the refusal's title and sentence, and the error page, in the reader's language."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.errors import ApiError
from api.language import request_language
from api.web.forms import ALL_FORMS
from api.web.render import render
from api.web.session import Session
from locales.catalogs import N_, gettext_in
from locales.refusals import refusal_message
from locales.terms import term

DONE_MESSAGES = {
    "open_plan": N_("The plan is open."),
    "approve_plan": N_("Your approval is recorded."),
    "submit_for_approval": N_("The plan is submitted for approval."),
}
# Any other command: "Done: <its title>."
DONE = N_("Done: %(action)s.")
ERROR_TITLES = {
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("Refused"),
    422: N_("Check the form"),
}
SOMETHING_WRONG = N_("Something went wrong")


def done_notice(request: Request, done: str) -> str | None:
    """The line that confirms a command, in the reader's language."""
    language = request_language(request)
    if done in DONE_MESSAGES:
        return gettext_in(language, DONE_MESSAGES[done])
    if done not in ALL_FORMS:
        return None
    return gettext_in(language, DONE) % {"action": term(done, language).lower()}


def error_view(
    request: Request, error: ApiError, default_title: str = SOMETHING_WRONG
) -> dict[str, Any]:
    """A refusal as the page shows it: title and sentence in the reader's language (the rule
    stays its code), the sentence rebuilt from the rule and its details."""
    language = request_language(request)
    details = error.extra.get("details")
    return {
        "title": gettext_in(language, ERROR_TITLES.get(error.status, default_title)),
        "message": refusal_message(error.rule, details, error.message, language),
        "rule": error.rule,
    }


def error_page(request: Request, session: Session | None, error: ApiError) -> HTMLResponse:
    return render(
        request,
        "error.html",
        status=error.status,
        session=session,
        error=error_view(request, error),
    )
