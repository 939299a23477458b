"""The FastAPI application: health, commands, reads."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api import routes_plans
from api.context import ApiContext
from api.errors import install_error_handlers

log = structlog.get_logger(__name__)


def create_app(context: ApiContext) -> FastAPI:
    app = FastAPI(
        title="acip",
        version="0.1.0",
        description="Action plans of the WCO A-CIP Programme: commands, read models, audit.",
    )
    app.state.context = context
    install_error_handlers(app)
    app.include_router(routes_plans.router)

    @app.get("/healthz", summary="PostgreSQL and Temporal answer")
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
