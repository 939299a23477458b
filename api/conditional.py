"""Cheap reads on a slow line: an ``ETag`` on every JSON read and ``304 Not Modified`` when
the client already holds it (RFC 9110 §13), and ``Link`` headers for pages (RFC 8288).

Two kinds of tag, both weak (``W/"..."``: the same JSON, not necessarily the same bytes, as
gzip may differ):

- a plan's reads name the plan's state: its stream position as projected and the API
  version (``plan_tag``). The route checks it before reading its read model, so a
  conditional read of an unchanged plan costs one indexed row and answers 304 at once;
- every other read (lists, the feed, checkpoints, anything added later) gets a digest of
  its body from ``ConditionalGetMiddleware``: the work is done, the bytes are saved.

Reads are per user (the scope decides what a list holds), so they are ``Cache-Control:
private, no-cache``: a browser or client may keep them but must revalidate, and no shared
cache may serve one user's answer to another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from urllib.parse import quote

from fastapi import Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.versioning import API_VERSION

CACHE_CONTROL = "private, no-cache"
# Accept-Language: refusals and the audit trail's descriptions are in the reader's language.
VARY = "Authorization, Cookie, Accept-Encoding, Accept-Language"
# The dashboard renders per session (and sets cookies), the static files carry their own
# validators, and the docs page is a page: only the JSON API is tagged here.
UNTAGGED_PREFIXES = ("/ui", "/static", "/docs")


class NotModifiedError(Exception):
    """Raised by a route whose precomputed tag the client already holds."""

    def __init__(self, etag: str) -> None:
        super().__init__(etag)
        self.etag = etag


def not_modified_response(etag: str) -> Response:
    return Response(
        status_code=304, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": VARY}
    )


def plan_tag(plan_id: str, last_position: int, representation: str) -> str:
    """The tag of one representation of a plan's read models: they all change exactly when
    the projector applies an event of the plan, which moves its ``last_position``."""
    return f'W/"{plan_id}.{last_position}.{representation}.{API_VERSION}"'


def body_tag(body: bytes) -> str:
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2): ``*``, or any listed tag equal but for ``W/``."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def check_plan_tag(request: Request, response: Response, etag: str) -> None:
    """Set the route's tag on its answer, or answer 304 now if the client holds it."""
    if matches(request.headers.get("if-none-match"), etag):
        raise NotModifiedError(etag)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Vary"] = VARY


def page_links(
    request: Request,
    *,
    limit: int,
    offset: int,
    next_offset: int | None,
    total: int | None = None,
) -> str:
    """``Link`` header value for an offset page: first, prev, next, and last when the total
    is known. Relative references (path and query), right behind any proxy."""

    def at(page_offset: int) -> str:
        query = request.query_params.multi_items()
        kept = [(k, v) for k, v in query if k not in ("offset", "limit")]
        params = [*kept, ("limit", str(limit)), ("offset", str(page_offset))]
        # Keys too: a client may send any name, and a header holds only ASCII.
        encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)
        return f"{request.url.path}?{encoded}"

    links = [f'<{at(0)}>; rel="first"']
    if offset > 0:
        links.append(f'<{at(max(0, offset - limit))}>; rel="prev"')
    if next_offset is not None:
        links.append(f'<{at(next_offset)}>; rel="next"')
    if total is not None:
        links.append(f'<{at(max(0, (total - 1) // limit * limit))}>; rel="last"')
    return ", ".join(links)


class ConditionalGetMiddleware:
    """Adds a body digest ``ETag`` to every 200 JSON answer of a GET that has none, and
    turns any 200 whose tag the client holds into a bodiless 304."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or path.startswith(UNTAGGED_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        if_none_match = _header(scope.get("headers", []), b"if-none-match")
        # "pass": sent as is; "drop": a 304 went instead, the body is discarded;
        # "digest": the body is gathered, tagged, then sent (or answered 304).
        mode = "pass"
        start: Message = {}
        chunks: list[bytes] = []

        async def tagging_send(message: Message) -> None:
            nonlocal mode, start
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                etag = _header(headers, b"etag")
                is_json = (_header(headers, b"content-type") or "").startswith("application/json")
                if message["status"] == 200 and etag is not None and matches(if_none_match, etag):
                    mode = "drop"
                    await _send_not_modified(send, etag)
                elif message["status"] == 200 and etag is None and is_json:
                    mode, start = "digest", message
                else:
                    await send(message)
                return
            if mode == "pass":
                await send(message)
                return
            if mode == "drop":
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            etag = body_tag(body)
            if matches(if_none_match, etag):
                await _send_not_modified(send, etag)
                return
            headers = [
                *start.get("headers", []),
                (b"etag", etag.encode()),
                (b"cache-control", CACHE_CONTROL.encode()),
                (b"vary", VARY.encode()),
            ]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, tagging_send)


async def _send_not_modified(send: Send, etag: str) -> None:
    headers = [
        (b"etag", etag.encode()),
        (b"cache-control", CACHE_CONTROL.encode()),
        (b"vary", VARY.encode()),
    ]
    await send({"type": "http.response.start", "status": 304, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None
