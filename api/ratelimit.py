"""Failed-login throttling: 429 after too many failed authentications from one client address,
or with one token prefix, within a sliding window.

A failed authentication is a 401 answer to a request that presented a credential: a bearer
token, the dashboard's session cookie, or the dashboard's login form. Once a key (the client
address; the first characters of the presented token) has ``max_failures`` failures within
``window_seconds``, every request carrying that key is answered 429 with ``Retry-After``
*before* any token is looked up, until the oldest of those failures leaves the window. A right
guess is refused too while the key is blocked: that is what stops guessing.

The failures are rows in PostgreSQL (``login_failures``, created by api/'s migrations), timed
by the database's clock, so every API process on one database counts the same failures: a
guesser gets ``max_failures`` per window in all, not per process. When the database cannot
be reached the check is skipped (fail open): the token lookup behind it needs the database
too and answers 503, so nothing is let in. Behind a proxy, run uvicorn with proxy headers so
the client address is the caller's, not the proxy's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import asyncpg
import structlog
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import DATABASE_UNREACHABLE

log = structlog.get_logger(__name__)

DEFAULT_MAX_FAILURES = 10
DEFAULT_WINDOW_SECONDS = 60.0
# "acip_" and 7 characters of the random part: enough to tell tokens apart, never enough to
# help a guesser (the rest is 36 random characters).
TOKEN_PREFIX_CHARS = 12
LOGIN_FORM_PATH = "/ui/login"
SESSION_COOKIE = "acip_token"

# The max_failures-th most recent failure of each key inside the window: while one exists
# the key is blocked, until it is window_seconds old.
_BLOCKED_UNTIL = """
SELECT max(failed_at + make_interval(secs => $2)) - clock_timestamp() AS wait
FROM (
    SELECT failed_at, row_number() OVER (PARTITION BY key ORDER BY failed_at DESC) AS recent
    FROM login_failures
    WHERE key = ANY($1::text[]) AND failed_at > clock_timestamp() - make_interval(secs => $2)
) AS failures
WHERE recent = $3
"""
_RECORD = """
WITH expired AS (
    DELETE FROM login_failures WHERE failed_at <= clock_timestamp() - make_interval(secs => $2)
)
INSERT INTO login_failures (key) SELECT unnest($1::text[])
"""


class FailedLoginLimiter:
    """Sliding-window failure counts per key, in the database every API process shares."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        max_failures: int = DEFAULT_MAX_FAILURES,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
    ) -> None:
        if max_failures < 1 or window_seconds <= 0:
            raise ValueError("max_failures >= 1 and window_seconds > 0")
        self.pool = pool
        self.max_failures = max_failures
        self.window_seconds = window_seconds

    async def retry_after(self, keys: Sequence[str]) -> float | None:
        """Seconds until the most blocked of ``keys`` may try again; None if none is."""
        wait = await self.pool.fetchval(
            _BLOCKED_UNTIL, list(keys), self.window_seconds, self.max_failures
        )
        return None if wait is None else max(wait.total_seconds(), 0.0)

    async def record_failure(self, keys: Sequence[str]) -> None:
        await self.pool.execute(_RECORD, list(keys), self.window_seconds)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    header = _header(scope, b"cookie")
    if not header:
        return None
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def credential_keys(scope: Scope) -> tuple[list[str], bool]:
    """(keys to count a failure under, whether the request presented a credential)."""
    client = scope.get("client")
    keys = [f"ip:{client[0] if client else 'unknown'}"]
    authorization = _header(scope, b"authorization")
    token: str | None = None
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        token = credentials.strip() if scheme.lower() == "bearer" else authorization
    else:
        token = _cookie(scope, SESSION_COOKIE)
    if token:
        keys.append(f"token:{token[:TOKEN_PREFIX_CHARS]}")
    login_form = scope.get("method") == "POST" and scope.get("path") == LOGIN_FORM_PATH
    return keys, bool(authorization or token or login_form)


class FailedLoginLimitMiddleware:
    """Counts 401 answers to requests with a credential; answers 429 while a key is blocked."""

    def __init__(self, app: ASGIApp, limiter: FailedLoginLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        keys, presented = credential_keys(scope)
        if not presented:  # asking without a credential is not a failed login
            await self.app(scope, receive, send)
            return
        try:
            wait = await self.limiter.retry_after(keys)
        except DATABASE_UNREACHABLE as error:
            log.warning("login throttle unavailable", error=str(error))
            wait = None
        if wait is not None:
            await _refuse(scope, receive, send, wait)
            return

        async def counting_send(message: Message) -> None:
            # Counted before the 401 leaves: once a client has seen its failure, its next
            # request, to this process or another, already finds the failure counted.
            if message["type"] == "http.response.start" and int(message["status"]) == 401:
                try:
                    await self.limiter.record_failure(keys)
                except DATABASE_UNREACHABLE as error:
                    log.warning("failed login not counted", error=str(error))
            await send(message)

        await self.app(scope, receive, counting_send)


async def _refuse(scope: Scope, receive: Receive, send: Send, wait: float) -> None:
    seconds = max(1, math.ceil(wait))
    response = JSONResponse(
        {
            "error": "too_many_requests",
            "message": f"Too many failed logins; try again in {seconds} s.",
        },
        status_code=429,
        headers={"retry-after": str(seconds)},
    )
    await response(scope, receive, send)
