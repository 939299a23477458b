"""One id per request, and the last word on any error the routes did not expect.

The outermost middleware of the app. Every request gets an id: the client's ``X-Request-ID``
when it is a sane token (a bounded run of letters, digits and ``._:-``), a fresh UUID
otherwise. The id is returned in the ``X-Request-ID`` response header, bound in structlog's
contextvars for every log line of the request, and readable by api.dispatch through
``current_request_id()``: it becomes the ``correlation_id`` of the events the request caused.

An unexpected exception is answered here, not by Starlette's ServerErrorMiddleware: that
one re-raises after answering, and the server then logs the traceback again, with its
frames' locals when rich renders it, on the event loop (seconds per error, every other
request waiting). Here it is logged once (api.errors.unexpected_error_response) and not
re-raised.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import unexpected_error_response

REQUEST_ID_HEADER = "X-Request-ID"
MAX_REQUEST_ID_LENGTH = 128
# Printable in logs and headers as is: no spaces, quotes, control or non-ASCII characters.
_SANE_REQUEST_ID = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_REQUEST_ID_LENGTH}}}")

_request_id: ContextVar[str | None] = ContextVar("acip_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being handled by this task; None outside a request."""
    return _request_id.get()


def request_id_from(header: bytes | None) -> str:
    """The client's id when it is a sane token, else a fresh one (never a refusal: a
    tracing header the client got wrong is no reason to refuse its command)."""
    if header is not None:
        try:
            text = header.decode("ascii")
        except UnicodeDecodeError:
            text = ""
        if _SANE_REQUEST_ID.fullmatch(text):
            return text
    return uuid.uuid4().hex


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(_header(scope, b"x-request-id"))
        scope.setdefault("state", {})["request_id"] = request_id
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        token = _request_id.set(request_id)
        try:
            with structlog.contextvars.bound_contextvars(request_id=request_id):
                try:
                    await self.app(scope, receive, send_with_id)
                except Exception as error:  # the last word: answered, logged once, not re-raised
                    response = unexpected_error_response(
                        error, request_id, method=scope.get("method"), path=scope.get("path")
                    )
                    if not response_started:
                        await response(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)
