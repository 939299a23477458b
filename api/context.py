"""What every request handler needs, built once at start-up by workers/ and passed in."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace

import asyncpg
from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from temporalio.client import Client

from activities.notifications import SmtpSettings
from api import security_log
from api.attempts import record_refused_attempt, record_refused_request
from api.dispatch import CommandObserver, dispatch, with_stored_events
from api.errors import ApiError
from api.invitations import Mailer
from api.sessions import LiveSession, resume_session
from api.sso import SsoSettings
from api.sso_accounts import still_allowed
from api.tokens import allowed_scopes, authenticate_token
from contracts.temporal import CommandResult
from domain import Actor, Command
from eventstore import EventStore

COOKIE_NAME = "acip_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class AccountSettings:
    """How people sign in; built from ACIP_ settings by workers/ (docs/security.md)."""

    # Where links in account e-mails point.
    public_url: str = "http://127.0.0.1:8000"
    smtp: SmtpSettings | None = None
    # A second factor for every role, not only programme managers, heads and auditors.
    second_factor_for_everyone: bool = False
    # Demo mode only: nobody is asked for a second factor, and every page says so.
    demo_waives_second_factor: bool = False
    # The dashboard's "sign in with an access token" form (scripts, demo, tests).
    token_sign_in: bool = True
    # Single sign-on through an OpenID provider; None: not offered (api/sso.py).
    sso: SsoSettings | None = None

    @property
    def mailer(self) -> Mailer:
        return Mailer(public_url=self.public_url, smtp=self.smtp)


@dataclass(frozen=True)
class Principal:
    """Who is asking and how they proved it: a personal access token (with its scopes) or a
    dashboard session (every scope the role has, approvals behind a fresh second factor)."""

    actor: Actor
    via: str  # "token" or "session"
    scopes: frozenset[str]
    session: LiveSession | None = None


@dataclass(frozen=True)
class ApiContext:
    pool: asyncpg.Pool
    # The event store on that pool, built once by workers/ (audit trails, replays, verify).
    store: EventStore
    temporal: Client
    task_queue: str
    # Told the outcome of every command (metrics); set by workers/, which api/ never imports.
    on_command: CommandObserver | None = None
    # The witness of the Merkle log (GET /audit/verify); empty: none configured.
    witness_url: str = ""
    witness_public_key: str = ""
    # The language of a reader who has not chosen one (ACIP_DEFAULT_LANGUAGE).
    default_language: str = "en"
    accounts: AccountSettings = AccountSettings()

    @property
    def mailer(self) -> Mailer:
        """Account e-mails, each in its recipient's language, else the deployment's."""
        return replace(self.accounts.mailer, default_language=self.default_language)

    async def send(
        self, plan_id: str, command: Command, actor: Actor, *, confirmed_by: str | None = None
    ) -> CommandResult:
        try:
            result = await dispatch(
                self.temporal,
                self.task_queue,
                plan_id,
                command,
                actor,
                observe=self.on_command,
                confirmed_by=confirmed_by,
            )
        except ApiError as error:
            await record_refused_attempt(self.store, plan_id, command, actor, error)
            raise
        if not result.replayed:
            return result
        return await with_stored_events(result, self.store)


def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


_bearer = HTTPBearer(auto_error=False, description="A token from `acip users add`.")
_cookie = APIKeyCookie(
    name=COOKIE_NAME, auto_error=False, description="Set by the dashboard's login form."
)


def csrf_token_for(session_token: str) -> str:
    """The form token of a dashboard session: derived from the HttpOnly session cookie, which
    another site can neither read nor send (SameSite=Strict), so it cannot forge this either.
    Derived rather than stored, so any API process can check it."""
    return hmac.new(session_token.encode(), b"acip-csrf-v1", hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token_for(session_token), presented)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def authenticate(
    request: Request, context: ApiContext, token: str, *, bearer: bool
) -> Principal:
    if bearer:
        use = await authenticate_token(context.pool, token, client_address(request))
        if use is None:
            raise ApiError(401, "unauthorized", "The token is unknown, expired or revoked.")
        if use.new_address:
            await security_log.note(
                context.store,
                "token_used_from_new_address",
                address=client_address(request),
                account=use.actor.name,
                token_id=str(use.token_id),
            )
        return Principal(actor=use.actor, via="token", scopes=use.scopes)
    session = await resume_session(context.pool, token)
    if session is not None and not await still_allowed(
        context.pool, context.store, context.accounts.sso, session, client_address(request)
    ):
        session = None
    if session is None:
        raise ApiError(401, "unauthorized", "The session has ended; sign in again.")
    scopes = frozenset(session.token_scopes or allowed_scopes(session.actor.role))
    # The signed-in person's language is api.language's first choice, as on the dashboard.
    request.state.account_language = session.language
    return Principal(actor=session.actor, via="session", scopes=scopes, session=session)


async def get_principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    cookie: str | None = Depends(_cookie),
    context: ApiContext = Depends(get_context),
) -> Principal:
    """Authenticated, and holding the scope the request needs: read for reading, commands
    for changing anything (an approval also needs approve; routes_plans checks that)."""
    token = credentials.credentials if credentials else cookie
    if not token:
        raise ApiError(
            401, "unauthorized", "Send 'Authorization: Bearer <token>' (a personal access token)."
        )
    principal = await authenticate(request, context, token, bearer=credentials is not None)
    # A browser session writing through the JSON API must prove it is our page.
    cookie_write = credentials is None and request.method not in SAFE_METHODS
    if cookie_write and not csrf_matches(token, request.headers.get(CSRF_HEADER)):
        raise ApiError(403, "forbidden", f"A cookie session must send the {CSRF_HEADER} header.")
    needed = "read" if request.method in SAFE_METHODS else "commands"
    # A scope the role can never hold (an auditor's "commands") is left to the domain, whose
    # refusal names the role rule and is recorded as an attempt; a scope the person chose
    # not to give this token is refused here.
    if needed not in principal.scopes and needed in allowed_scopes(principal.actor.role):
        error = ApiError(
            403,
            "forbidden",
            f"This token lacks the {needed} scope.",
            rule="insufficient_scope",
        )
        route = getattr(request.scope.get("route"), "path", request.url.path)
        plan_id = request.path_params.get("plan_id")
        await record_refused_request(
            context.store, plan_id, f"{request.method} {route}", principal.actor, error
        )
        raise error
    request.state.principal = principal
    return principal


async def get_actor(principal: Principal = Depends(get_principal)) -> Actor:
    """The actor of every command comes from authentication, never from the body."""
    return principal.actor
