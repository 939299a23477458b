"""Failed-login throttling: 429 after too many failed authentications from one client address,
or with one token prefix, within a sliding window.

A failed authentication is a 401 answer to a request that presented a credential: a bearer
token, the dashboard's session cookie, or the dashboard's login form. Once a key (the client
address; the first characters of the presented token) has ``max_failures`` failures within
``window_seconds``, every request carrying that key is answered 429 with ``Retry-After``
*before* any token is looked up, until the oldest failure leaves the window. A right guess
is refused too while the key is blocked: that is what stops guessing.

The counts live in the process: with several API processes, each counts its own (a guesser
gets ``max_failures`` per process per window). Behind a proxy, run uvicorn with proxy headers
so the client address is the caller's, not the proxy's.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_FAILURES = 10
DEFAULT_WINDOW_SECONDS = 60.0
# "acip_" and 7 characters of the random part: enough to tell tokens apart, never enough to
# help a guesser (the rest is 36 random characters).
TOKEN_PREFIX_CHARS = 12
# A spray from many addresses cannot grow the table past this; the oldest keys go first.
MAX_TRACKED_KEYS = 50_000
LOGIN_FORM_PATH = "/ui/login"
SESSION_COOKIE = "acip_token"


class FailedLoginLimiter:
    """Sliding-window failure counts per key."""

    def __init__(
        self,
        max_failures: int = DEFAULT_MAX_FAILURES,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_TRACKED_KEYS,
    ) -> None:
        if max_failures < 1 or window_seconds <= 0:
            raise ValueError("max_failures >= 1 and window_seconds > 0")
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._clock = clock
        self._max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        horizon = now - self.window_seconds
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures

    def retry_after(self, keys: Iterable[str]) -> float | None:
        """Seconds until the most blocked of ``keys`` may try again; None if none is."""
        now = self._clock()
        wait: float | None = None
        for key in keys:
            failures = self._recent(key, now)
            if failures is not None and len(failures) >= self.max_failures:
                # Free again when enough failures have left the window.
                until = failures[-self.max_failures] + self.window_seconds - now
                wait = until if wait is None else max(wait, until)
        return wait

    def record_failure(self, keys: Iterable[str]) -> None:
        now = self._clock()
        for key in keys:
            failures = self._recent(key, now)
            if failures is None:
                failures = deque(maxlen=self.max_failures)
            else:
                del self._failures[key]  # re-inserted last: the least recent go first
            self._failures[key] = failures
            failures.append(now)
        while len(self._failures) > self._max_keys:
            del self._failures[next(iter(self._failures))]


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

    def __init__(self, app: ASGIApp, limiter: FailedLoginLimiter | None = None) -> None:
        self.app = app
        self.limiter = limiter or FailedLoginLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        keys, presented = credential_keys(scope)
        if presented:
            wait = self.limiter.retry_after(keys)
            if wait is not None:
                await _refuse(scope, receive, send, wait)
                return
        status = 0

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, watching_send)
        if presented and status == 401:
            self.limiter.record_failure(keys)


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
