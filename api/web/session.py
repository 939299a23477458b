"""Dashboard sessions: the token from the login form, kept in an HttpOnly cookie.

The cookie is SameSite=Strict (another site's page cannot make the browser send it) and
Secure when the request came over https. Forms also carry a token derived from the session
(api.context.csrf_token_for), checked on every POST.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request

from api.context import COOKIE_NAME, ApiContext, csrf_matches, csrf_token_for
from api.users import account_for_token
from domain import Actor

SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Session:
    actor: Actor
    csrf_token: str
    # The language on the person's account; None: not chosen (api.language decides).
    language: str | None = None


class LoginRequiredError(Exception):
    """Raised by a page without a valid session; answered with a redirect to the login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfError(Exception):
    """A form without the session's token: refused, never acted on."""


def login_url(next_path: str) -> str:
    return f"/ui/login?next={quote(next_path, safe='/')}"


def safe_next(next_path: str | None) -> str:
    """Only our own paths: an open redirect would let a link send a user elsewhere."""
    if next_path and next_path.startswith("/ui/") and not next_path.startswith("//"):
        return next_path
    return "/ui/plans"


async def current_session(request: Request) -> Session:
    token = request.cookies.get(COOKIE_NAME)
    if token:
        context: ApiContext = request.app.state.context
        account = await account_for_token(context.pool, token)
        if account is not None:
            actor, language = account
            request.state.account_language = language  # api.language's first choice
            return Session(actor=actor, csrf_token=csrf_token_for(token), language=language)
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise LoginRequiredError(path)


async def form_session(request: Request) -> tuple[Session, dict[str, str]]:
    """The session of a form POST, and the form's fields, once its CSRF token checked out."""
    session = await current_session(request)
    form = await request.form()
    # A name sent more than once (checkboxes) keeps every value, one a line.
    data = {key: "\n".join(v for v in form.getlist(key) if isinstance(v, str)) for key in form}
    token = request.cookies.get(COOKIE_NAME, "")
    if not csrf_matches(token, data.get("csrf_token")):
        raise CsrfError
    return session, data


def is_secure(request: Request) -> bool:
    # Behind a TLS-terminating proxy, uvicorn's proxy headers make the scheme https.
    return request.url.scheme == "https"
