"""Every refusal is JSON ``{"error", "rule"?, "message"}`` with a 4xx status; never a traceback."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger(__name__)

# Domain rules that are about who may act, not about the plan's state.
FORBIDDEN_RULES = frozenset({"not_permitted", "out_of_scope"})
NOT_FOUND_RULES = frozenset({"plan_not_found"})


class ApiError(Exception):
    def __init__(
        self, status: int, error: str, message: str, *, rule: str | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
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


def refusal(rule: str, message: str) -> ApiError:
    """Map a domain rule to its HTTP status."""
    if rule in FORBIDDEN_RULES:
        return ApiError(403, "forbidden", message, rule=rule)
    if rule in NOT_FOUND_RULES:
        return ApiError(404, "not_found", message, rule=rule)
    return ApiError(409, "rule_violated", message, rule=rule)


def _describe_validation(errors: list[Any]) -> str:
    parts = []
    for error in errors[:5]:
        location = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body",))
        parts.append(f"{location or 'body'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")}
            for e in exc.errors()
        ]
        return JSONResponse(
            {
                "error": "invalid_request",
                "message": _describe_validation(list(exc.errors())),
                "details": details,
            },
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        error = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(
            {"error": error, "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # A fault of ours, not of the client: logged with its traceback, answered plainly.
        log.exception("unhandled error", error=str(exc))
        return JSONResponse(
            {"error": "internal_error", "message": "The server failed; the fault was logged."},
            status_code=500,
        )
