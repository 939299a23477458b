"""The FastAPI application: health, commands, reads, and the staff dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from api import (
    routes_audit,
    routes_exports,
    routes_feed,
    routes_people,
    routes_plans,
    routes_portfolio,
    routes_reads,
    routes_reports,
    routes_results,
)
from api.conditional import ConditionalGetMiddleware, NotModifiedError, not_modified_response
from api.context import ApiContext
from api.errors import COMMON_RESPONSES, ApiError, install_error_handlers
from api.language import request_language
from api.limits import DEFAULT_MAX_BODY_BYTES, BodySizeLimitMiddleware
from api.ratelimit import FailedLoginLimiter, FailedLoginLimitMiddleware
from api.request_context import RequestContextMiddleware
from api.schemas import Health
from api.versioning import API_VERSION
from api.web import (
    account_pages,
    actions,
    notices,
    pages,
    portfolio_page,
    preferences,
    signin_pages,
    sso_pages,
)
from api.web import reports as web_reports
from api.web.render import render
from api.web.session import CsrfError, EnrolmentRequiredError, LoginRequiredError, login_url
from locales.catalogs import gettext_in

log = structlog.get_logger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
GZIP_MINIMUM_BYTES = 1024

DESCRIPTION = """Action plans of the WCO A-CIP Programme: commands, read models, audit.

Authenticate with `Authorization: Bearer <token>`: a personal access token (scopes read,
commands, approve; see docs/security.md). Errors are
`{"error", "message", "rule"?, "details"?}`; an unexpected one is a 500 `{"error": "internal",
"message", "request_id"}`. Every answer carries `X-Request-ID` (the client's, when it is 1-128
of `A-Z a-z 0-9 . _ : -`, else a new one); it is the `correlation_id` of the events the request
caused. See docs/api.md. The dashboard is at /ui/."""


INVALID_JSON = {
    "description": "The body is not JSON (`error`: invalid_json)",
    "content": {
        "application/json": {
            "schema": {"$ref": "#/components/schemas/ErrorBody"},
            "example": {"error": "invalid_json", "message": "The request body is not valid JSON."},
        }
    },
}


def _declare_invalid_json(app: FastAPI) -> None:
    """Every operation that takes a body can answer 400 for one that is not JSON; declared
    here once, so a route added later cannot forget it."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if isinstance(operation, dict) and "requestBody" in operation:
                    operation["responses"].setdefault("400", INVALID_JSON)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(context: ApiContext, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> FastAPI:
    # /docs is served from vendored Swagger UI files: no CDN, so it works offline too.
    app = FastAPI(
        title="acip",
        version=API_VERSION,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        responses=COMMON_RESPONSES,
        # Operation ids are the route functions' names (get_plan, events_feed): what a
        # generated client calls its functions, so they are part of the contract too.
        generate_unique_id_function=_operation_id,
    )
    app.state.context = context
    _declare_invalid_json(app)
    install_error_handlers(app, render_page=_dashboard_refusal)
    _install_dashboard_handlers(app)
    app.add_exception_handler(NotModifiedError, _not_modified)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_body_bytes)
    # A blocked client is refused before its body or token is looked at.
    app.add_middleware(FailedLoginLimitMiddleware, limiter=FailedLoginLimiter(context.pool))
    # Tags are computed over the uncompressed JSON, so gzip goes outside them. Bodies under
    # a kilobyte are sent as they are: the gzip header and the CPU would not pay.
    app.add_middleware(ConditionalGetMiddleware)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=6)
    # Outermost: every answer, the refusals of the middleware above included, carries the
    # request id, and no exception escapes to the server's own (slow) error logging.
    app.add_middleware(RequestContextMiddleware)
    app.include_router(routes_plans.router)
    app.include_router(routes_reads.router)
    app.include_router(routes_results.router)
    app.include_router(routes_portfolio.router)
    app.include_router(routes_audit.router)
    app.include_router(routes_feed.router)
    app.include_router(routes_reports.router)
    app.include_router(routes_exports.router)
    app.include_router(routes_people.router)
    app.include_router(signin_pages.router)
    app.include_router(sso_pages.router)
    app.include_router(account_pages.router)
    app.include_router(pages.router)
    app.include_router(portfolio_page.router)
    app.include_router(web_reports.router)
    app.include_router(actions.router)
    app.include_router(preferences.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="acip API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="data:,",
        )

    @app.get(
        "/healthz",
        summary="PostgreSQL and Temporal answer",
        tags=["operations"],
        response_model=Health,
        responses={503: {"model": Health, "description": "A part is failing; each says why"}},
    )
    async def healthz(request: Request) -> JSONResponse:
        parts: dict[str, Any] = {}
        try:
            await context.pool.fetchval("SELECT 1", timeout=2)
            parts["postgres"] = "ok"
        except Exception as error:  # any failure means "not healthy", reported as such
            parts["postgres"] = f"failing: {error.__class__.__name__}"
        try:
            healthy = await context.temporal.service_client.check_health()
            parts["temporal"] = "ok" if healthy else "failing: not serving"
        except Exception as error:
            parts["temporal"] = f"failing: {error.__class__.__name__}"
        ok = all(value == "ok" for value in parts.values())
        return JSONResponse(parts, status_code=200 if ok else 503)

    return app


def _dashboard_refusal(request: Request, error: ApiError) -> HTMLResponse:
    # The page does not look up the session: a malformed address is refused before it.
    return notices.error_page(request, None, error)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document without PostgreSQL or Temporal (to publish it, or to check it in
    a test): routes and models are declared statically, and this app serves no request, so
    its context is never read."""
    never_used = cast(Any, None)
    offline = ApiContext(pool=never_used, store=never_used, temporal=never_used, task_queue="")
    return create_app(offline).openapi()


def _operation_id(route: APIRoute) -> str:
    return route.name


async def _not_modified(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotModifiedError)
    return not_modified_response(exc.etag)


def _install_dashboard_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequiredError)
    async def _login(_request: Request, exc: LoginRequiredError) -> RedirectResponse:
        return RedirectResponse(login_url(exc.next_path), status_code=303)

    @app.exception_handler(EnrolmentRequiredError)
    async def _enrol(_request: Request, _exc: EnrolmentRequiredError) -> RedirectResponse:
        return RedirectResponse("/ui/account/second-factor", status_code=303)

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, _exc: CsrfError) -> HTMLResponse:
        language = request_language(request)
        return render(
            request,
            "error.html",
            status=403,
            session=None,
            error={
                "title": gettext_in(language, "Not allowed"),
                "message": gettext_in(
                    language, "The form was stale or not ours; reload the page and try again."
                ),
                "rule": None,
            },
        )
