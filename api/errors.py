"""Every refusal is JSON ``{"error", "rule"?, "message", "details"?}`` with a 4xx status; an
unexpected error is a 500 ``{"error": "internal", "message", "request_id"}``; never a traceback."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.language import request_language
from contracts.idempotency import IDEMPOTENCY_KEY_REUSED
from domain import COMMAND_TYPES
from locales.refusals import refusal_message

log = structlog.get_logger(__name__)

# Failures that mean "PostgreSQL is not answering now", not a fault in our code.
DATABASE_UNREACHABLE = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    # A pooled connection that received the server's "terminating connection" while idle
    # refuses its next query with this (seen in tests/reliability/test_postgres_restart.py).
    asyncpg.InternalClientError,
)

# Domain rules that are about who may act, not about the plan's state.
FORBIDDEN_RULES = frozenset({"not_permitted", "out_of_scope"})
NOT_FOUND_RULES = frozenset({"plan_not_found"})


class FieldProblem(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error answer, as the OpenAPI document states it."""

    model_config = ConfigDict(extra="allow")  # version_conflict adds the two versions

    error: str
    message: str
    rule: str | None = None
    # A 422 lists the fields; a domain refusal's details are an object of its own values.
    details: list[FieldProblem] | dict[str, Any] | None = None
    request_id: str | None = None


# Answers any operation may give, whatever its own refusals: declared once on the app.
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    # Every route behind a token answers it; declared once, so a new route cannot forget it.
    401: {"model": ErrorBody, "description": "No token, or an unknown or revoked one"},
    422: {
        "model": ErrorBody,
        "description": "A parameter or field is missing, malformed or out of range; "
        "`details` names each",
    },
    429: {"model": ErrorBody, "description": "Too many failed logins from this client"},
    500: {"model": ErrorBody, "description": "A fault of the server, logged under request_id"},
    503: {"model": ErrorBody, "description": "PostgreSQL or Temporal unavailable; retry"},
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        rule: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.headers = headers
        if status == 401 and headers is None:
            self.headers = {"WWW-Authenticate": "Bearer"}
        self.status = status
        self.error = error
        self.message = message
        self.rule = rule
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.error, "message": self.message}
        if self.rule:
            body["rule"] = self.rule
        body.update(self.extra)
        return body


def refusal(rule: str, message: str, details: Mapping[str, Any] | None = None) -> ApiError:
    """Map a domain rule to its HTTP status; ``details`` (DomainError.details, JSON values)
    go into the body as they are."""
    extra: dict[str, Any] = {"details": dict(details)} if details else {}
    if rule in FORBIDDEN_RULES:
        return ApiError(403, "forbidden", message, rule=rule, **extra)
    if rule in NOT_FOUND_RULES:
        return ApiError(404, "not_found", message, rule=rule, **extra)
    if rule == "version_conflict":
        # Clients retrying on a conflict want the numbers at the top, as before details.
        versions = {
            name: extra["details"][name]
            for name in ("expected_version", "actual_version")
            if name in extra.get("details", {})
        }
        return ApiError(409, "version_conflict", message, rule=rule, **versions, **extra)
    if rule == IDEMPOTENCY_KEY_REUSED:
        return ApiError(409, IDEMPOTENCY_KEY_REUSED, message, rule=rule, **extra)
    return ApiError(409, "rule_violated", message, rule=rule, **extra)


def field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "add_milestone", "due_date")`` -> ``"due_date"``: the request's own words.

    The source ("body", "query") and a discriminated union's tag are pydantic's bookkeeping,
    not fields the client sent.
    """
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        source, parts = parts[0], parts[1:]
        if parts and parts[0] in COMMAND_TYPES:
            parts = parts[1:]
        if not parts:
            return "body" if source == "body" else source
    return ".".join(parts) or "body"


def _message_of(error: dict[str, Any]) -> str:
    kind = error.get("type")
    if kind == "union_tag_not_found":
        return "Field required: the command type, one of " + ", ".join(COMMAND_TYPES)
    if kind == "union_tag_invalid":
        return f"Unknown command type {error.get('input', {}).get('type')!r}; expected one of " + (
            ", ".join(COMMAND_TYPES)
        )
    return str(error.get("msg", "invalid"))


def validation_details(errors: list[Any]) -> list[dict[str, str]]:
    details = []
    for error in errors:
        field = field_of(error.get("loc", ()))
        if error.get("type") in ("union_tag_not_found", "union_tag_invalid"):
            field = "type"
        details.append({"field": field, "message": _message_of(error)})
    return details


def _describe_validation(details: list[dict[str, str]]) -> str:
    return "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])


def validation_refusal(errors: list[Any]) -> ApiError:
    """A request FastAPI could not parse: 400 for a body that is not JSON, else 422 naming
    every field (or query, path or header parameter) that is missing or out of range."""
    if any(e.get("type") == "json_invalid" for e in errors):
        return ApiError(400, "invalid_json", "The request body is not valid JSON.")
    details = validation_details(errors)
    return ApiError(422, "invalid_request", _describe_validation(details), details=details)


# Renders a refusal as a dashboard page; app.py passes it, so errors.py needs no templates.
PageRenderer = Callable[[Request, ApiError], Response]


def install_error_handlers(
    app: FastAPI, *, dashboard_prefix: str = "/ui", render_page: PageRenderer | None = None
) -> None:
    """Handlers of the refusals a route raises. Unexpected errors are not handled here but
    by api.request_context, which answers them without re-raising."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        # The rule stays its code; the sentence follows the caller's language.
        body = exc.body()
        if exc.rule:
            language = request_language(request)
            body["message"] = refusal_message(
                exc.rule, exc.extra.get("details"), exc.message, language
            )
            headers = {**(exc.headers or {}), "Content-Language": language}
            return JSONResponse(body, status_code=exc.status, headers=headers)
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        refused = validation_refusal(list(exc.errors()))
        if render_page is not None and request.url.path.startswith(dashboard_prefix):
            # A person at the dashboard reads the refusal in words, not as JSON.
            return render_page(request, refused)
        return JSONResponse(refused.body(), status_code=refused.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        error = {
            400: "bad_request",
            401: "unauthorized",
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
            415: "unsupported_media_type",
        }.get(exc.status_code, "http_error")
        return JSONResponse(
            {"error": error, "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )


STACK_FRAMES = 10
MAX_ERROR_TEXT = 500


def _innermost(error: BaseException) -> BaseException:
    # A task group wraps what its task raised; the cause is the first leaf.
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def short_stack(error: BaseException) -> list[str]:
    """``file:line in function`` for the innermost frames, without their locals or source:
    enough to find the fault, cheap to render, and no request data copied into logs."""
    walked = traceback.walk_tb(error.__traceback__)
    frames = traceback.StackSummary.extract(walked, lookup_lines=False)[-STACK_FRAMES:]
    return [f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in frames]


def unexpected_error_response(
    error: BaseException, request_id: str, *, method: str | None, path: str | None
) -> JSONResponse:
    """The answer to an exception no route expected, and its one log record."""
    cause = _innermost(error)
    if isinstance(cause, DATABASE_UNREACHABLE):
        # PostgreSQL restarting or out of reach: the client may retry; say so.
        log.warning("database unavailable", error=f"{type(cause).__name__}: {cause}")
        return JSONResponse(
            {"error": "unavailable", "message": "The database is unavailable; try again."},
            status_code=503,
            headers={"retry-after": "5"},
        )
    # A fault of ours, not of the client. One structured record, rendered in microseconds:
    # never exc_info, whose rendering with every frame's locals once took seconds per error.
    log.error(
        "unexpected error",
        error_type=f"{type(cause).__module__}.{type(cause).__qualname__}",
        error=str(cause)[:MAX_ERROR_TEXT],
        stack=short_stack(cause),
        method=method,
        path=path,
    )
    return JSONResponse(
        {
            "error": "internal",
            "message": f"The server failed; the fault was logged under request {request_id}.",
            "request_id": request_id,
        },
        status_code=500,
    )
