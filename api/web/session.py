"""Dashboard sessions: a random id in an HttpOnly cookie, the session itself in PostgreSQL
(api/sessions.py: idle 30 minutes, at most 12 hours, ended at once by sign-out or
deactivation, for every API process).

The cookie is SameSite=Strict (another site's page cannot make the browser send it) and
Secure when the request came over https. Forms also carry a token derived from the session
id (api.context.csrf_token_for), checked on every POST.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request, Response

from api.context import COOKIE_NAME, ApiContext, client_address, csrf_matches, csrf_token_for
from api.people import requires_second_factor
from api.sessions import ABSOLUTE_LIFETIME, LiveSession, resume_session
from api.sso_accounts import still_allowed
from domain import Actor

SESSION_SECONDS = int(ABSOLUTE_LIFETIME.total_seconds())
# Reachable by a person who must enrol a second factor before anything else.
ENROLMENT_PATHS = ("/ui/account/second-factor", "/ui/logout")


@dataclass(frozen=True)
class Session:
    actor: Actor
    csrf_token: str
    # The language on the person's account; None: not chosen (api.language decides).
    language: str | None = None
    live: LiveSession | None = None
    # Shown on every page of a demo stack: nobody is asked for a second factor there.
    demo_waiver: bool = False


class LoginRequiredError(Exception):
    """Raised by a page without a valid session; answered with a redirect to the login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class EnrolmentRequiredError(Exception):
    """The person's role needs a second factor they have not enrolled yet."""


class CsrfError(Exception):
    """A form without the session's token: refused, never acted on."""


def login_url(next_path: str) -> str:
    return f"/ui/login?next={quote(next_path, safe='/')}"


def safe_next(next_path: str | None) -> str:
    """Only our own paths: an open redirect would let a link send a user elsewhere."""
    if next_path and next_path.startswith("/ui/") and not next_path.startswith("//"):
        return next_path
    return "/ui/plans"


def must_enrol(context: ApiContext, live: LiveSession) -> bool:
    settings = context.accounts
    if settings.demo_waives_second_factor or live.token_scopes is not None:
        return False
    required = requires_second_factor(live.actor.role, settings.second_factor_for_everyone)
    return required and not live.enrolled


async def current_session(request: Request) -> Session:
    token = request.cookies.get(COOKIE_NAME)
    context: ApiContext = request.app.state.context
    if token:
        live = await resume_session(context.pool, token)
        address = client_address(request)
        if live is not None and await still_allowed(
            context.pool, context.store, context.accounts.sso, live, address
        ):
            if must_enrol(context, live) and request.url.path not in ENROLMENT_PATHS:
                raise EnrolmentRequiredError
            request.state.account_language = live.language  # api.language's first choice
            return Session(
                actor=live.actor,
                csrf_token=csrf_token_for(token),
                language=live.language,
                live=live,
                demo_waiver=context.accounts.demo_waives_second_factor,
            )
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


def set_session_cookie(request: Request, response: Response, session_id: str) -> None:
    """The session cookie, the same for every way of signing in: HttpOnly, SameSite=Strict,
    Secure over https. (A sign-in through the provider arrives cross-site: its callback
    answers with a page of ours that moves on, so the Strict cookie rides on that.)"""
    response.set_cookie(
        COOKIE_NAME,
        session_id,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=is_secure(request),
        path="/",
    )
