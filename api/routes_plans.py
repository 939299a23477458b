"""Plans: open, send commands, list and read."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from api.context import ApiContext, get_actor, get_context
from api.dispatch import dispatch
from api.errors import ApiError
from domain import COMMAND_ADAPTER, Actor, Command, OpenPlan, can_read
from projections import queries

router = APIRouter()

IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1c1d2e-3a8b-4c55-9a0e-5b1f6d3c2a10")


def _with_idempotency_key(command: Command, key: str | None) -> Command:
    """Map an Idempotency-Key header to command_id (a UUID as is, anything else hashed)."""
    if not key or command.command_id is not None:
        return command
    try:
        command_id = uuid.UUID(key)
    except ValueError:
        command_id = uuid.uuid5(IDEMPOTENCY_NAMESPACE, key)
    return command.model_copy(update={"command_id": command_id})


def _parse(payload: dict[str, Any]) -> Command:
    try:
        return COMMAND_ADAPTER.validate_python(payload)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise ApiError(
            422,
            "invalid_request",
            f"{field}: {first['msg']}",
            details=[
                {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                for e in error.errors()
            ],
        ) from None


def _visible_countries(actor: Actor) -> list[str] | None:
    return None if actor.country is None else [actor.country]


@router.post("/plans", status_code=201, summary="Open a plan (the open_plan command)")
async def open_plan(
    payload: Annotated[dict[str, Any], Body(examples=[{"country": "GHA"}])],
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
    idempotency_key: str | None = Header(default=None),
) -> dict[str, Any]:
    opening = _parse({**payload, "type": "open_plan"})
    assert isinstance(opening, OpenPlan)
    command = _with_idempotency_key(opening, idempotency_key)
    result = await dispatch(context.temporal, context.task_queue, opening.plan_id, command, actor)
    return {"plan_id": result.plan_id, "version": result.version}


@router.post("/plans/{plan_id}/commands", summary="Send any command to a plan")
async def send_command(
    plan_id: str,
    payload: Annotated[dict[str, Any], Body()],
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
    idempotency_key: str | None = Header(default=None),
) -> JSONResponse:
    command = _with_idempotency_key(_parse(payload), idempotency_key)
    status = 200
    if isinstance(command, OpenPlan):
        if command.plan_id != plan_id:
            raise ApiError(
                422,
                "invalid_request",
                f"open_plan makes plan {command.plan_id}, not {plan_id}.",
            )
        status = 201
    result = await dispatch(context.temporal, context.task_queue, plan_id, command, actor)
    return JSONResponse(result.model_dump(mode="json", exclude={"replayed"}), status_code=status)


@router.get("/plans", summary="Plans the caller may see")
async def list_plans(
    country: str | None = Query(default=None, pattern="^[A-Z]{3}$"),
    phase: str | None = Query(default=None),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> dict[str, Any]:
    countries = _visible_countries(actor)
    if country is not None:
        countries = [country] if countries is None or country in countries else []
    plans = await queries.list_plans(
        context.pool, countries=countries, phase=phase, limit=limit, offset=offset
    )
    return {
        "plans": [plan.model_dump(mode="json") for plan in plans],
        "limit": limit,
        "offset": offset,
    }


@router.get("/plans/{plan_id}", summary="One plan's summary")
async def get_plan(
    plan_id: str,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> dict[str, Any]:
    summary = await queries.get_plan_summary(context.pool, plan_id)
    # 404 rather than 403 for another country's plan, so ids do not leak.
    if summary is None or not can_read(actor, summary.country):
        raise ApiError(404, "not_found", f"There is no plan {plan_id} you may see.")
    return summary.model_dump(mode="json")
