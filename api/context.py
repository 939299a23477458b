"""What every request handler needs, built once at start-up by workers/ and passed in."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import asyncpg
from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from temporalio.client import Client

from api.attempts import record_refused_attempt
from api.dispatch import CommandObserver, dispatch, with_stored_events
from api.errors import ApiError
from api.users import actor_for_token
from contracts.temporal import CommandResult
from domain import Actor, Command
from eventstore import EventStore

COOKIE_NAME = "acip_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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

    async def send(self, plan_id: str, command: Command, actor: Actor) -> CommandResult:
        try:
            result = await dispatch(
                self.temporal, self.task_queue, plan_id, command, actor, observe=self.on_command
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


async def get_actor(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    cookie: str | None = Depends(_cookie),
    context: ApiContext = Depends(get_context),
) -> Actor:
    """The actor of every command comes from authentication, never from the body."""
    token = credentials.credentials if credentials else cookie
    if not token:
        raise ApiError(
            401, "unauthorized", "Send 'Authorization: Bearer <token>' (a token from acip users)."
        )
    actor = await actor_for_token(context.pool, token)
    if actor is None:
        raise ApiError(401, "unauthorized", "The token is unknown or revoked.")
    # A browser session writing through the JSON API must prove it is our page.
    cookie_write = credentials is None and request.method not in SAFE_METHODS
    if cookie_write and not csrf_matches(token, request.headers.get(CSRF_HEADER)):
        raise ApiError(403, "forbidden", f"A cookie session must send the {CSRF_HEADER} header.")
    return actor
