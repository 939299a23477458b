"""Commands: POST /plans (open_plan) and POST /plans/{plan_id}/commands (every other one).

The bodies are typed with the domain's own models, so OpenAPI documents every command and
pydantic's field-named errors come back as 422 (see api.errors).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import JSONResponse
from pydantic import ConfigDict

from api.attempts import record_refused_attempt
from api.bounds import IdempotencyKey, PlanId
from api.context import ApiContext, get_actor, get_context
from api.declared import NOT_VISIBLE, UNAUTHORIZED, Responses, refusal
from api.errors import ApiError
from api.examples import COMMAND_EXAMPLES, OPEN_PLAN_EXAMPLE
from api.schemas import PlanOpened
from api.scope import require_visible
from contracts.temporal import CommandResult
from domain import Actor, Command, OpenPlan

router = APIRouter(tags=["commands"])

IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1c1d2e-3a8b-4c55-9a0e-5b1f6d3c2a10")

REFUSALS: Responses = {
    400: refusal(
        "The body is not JSON (`error`: invalid_json)",
        {"error": "invalid_json", "message": "The request body is not valid JSON."},
    ),
    **UNAUTHORIZED,
    403: refusal(
        "The role may not send this command (`rule`: not_permitted)",
        {
            "error": "forbidden",
            "rule": "not_permitted",
            "message": "A focal point may not approve the plan.",
        },
    ),
    **NOT_VISIBLE,
    409: refusal(
        "A domain rule refused the command (`rule` names it, `details` holds its facts), "
        "or `expected_version` is not the plan's version",
        {
            "error": "rule_violated",
            "rule": "four_eyes",
            "message": "wco.manager submitted this plan and may not also approve it.",
            "details": {"submitted_by": "wco.manager"},
        },
    ),
    413: refusal(
        "The body is larger than 64 KiB",
        {"error": "payload_too_large", "message": "The body is larger than 65536 bytes."},
    ),
    422: refusal(
        "Malformed command; `details` names each field",
        {
            "error": "invalid_request",
            "message": "due_date: Field required",
            "details": [{"field": "due_date", "message": "Field required"}],
        },
    ),
}


class OpenPlanRequest(OpenPlan):
    """open_plan's fields. The path names the command, so `type` may be left out here (in
    the union of POST /plans/{plan_id}/commands it is required)."""

    model_config = ConfigDict(json_schema_extra=None)

    def as_command(self) -> OpenPlan:
        return OpenPlan.model_validate(self.model_dump())


def with_idempotency_key(command: Command, key: str | None) -> Command:
    """Map an Idempotency-Key header to command_id (a UUID as is, anything else hashed)."""
    if not key or command.command_id is not None:
        return command
    try:
        command_id = uuid.UUID(key)
    except ValueError:
        command_id = uuid.uuid5(IDEMPOTENCY_NAMESPACE, key)
    return command.model_copy(update={"command_id": command_id})


@router.post(
    "/plans",
    status_code=201,
    summary="Open a plan (the open_plan command)",
    responses=REFUSALS,
    response_model=PlanOpened,
)
async def open_plan(
    request: Annotated[OpenPlanRequest, Body(openapi_examples=OPEN_PLAN_EXAMPLE)],
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """The plan id is `<country>-<year of period_start>`; a programme manager opens it."""
    command = request.as_command()
    opening = with_idempotency_key(command, idempotency_key)
    result = await context.send(command.plan_id, opening, actor)
    return {"plan_id": result.plan_id, "version": result.version}


@router.post(
    "/plans/{plan_id}/commands",
    summary="Send any command to a plan",
    response_model=CommandResult,
    response_model_exclude={"replayed"},
    responses={
        **REFUSALS,
        201: {"model": CommandResult, "description": "open_plan created the plan"},
    },
)
async def send_command(
    plan_id: PlanId,
    command: Annotated[Command, Body(openapi_examples=COMMAND_EXAMPLES)],
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Every command of the action plan, chosen by `type`; see DOMAIN.md for who may send
    which command in which phase. The actor is the token's user, never the body."""
    try:
        require_visible(actor, plan_id)
    except ApiError as error:  # answered as "no such plan", recorded as what it is
        await record_refused_attempt(
            context.store, plan_id, command, actor, error, rule="out_of_scope"
        )
        raise
    command = with_idempotency_key(command, idempotency_key)
    status = 200
    if isinstance(command, OpenPlan):
        if command.plan_id != plan_id:
            raise ApiError(
                422,
                "invalid_request",
                f"open_plan makes plan {command.plan_id}, not {plan_id}.",
                details=[{"field": "period_start", "message": "does not match the plan id"}],
            )
        status = 201
    result = await context.send(plan_id, command, actor)
    return JSONResponse(result.model_dump(mode="json", exclude={"replayed"}), status_code=status)
