"""The Merkle log for auditors: the operator's public keys, the checkpoints, and the whole
store verified against the witness's record (called by GET /audit/verify)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends

from api.attempts import refused_attempts, sentence, summary
from api.bounds import PlanId
from api.context import ApiContext, get_actor, get_context
from api.declared import NOT_MODIFIED, NOT_PERMITTED, NOT_VISIBLE, UNAUTHORIZED
from api.errors import ApiError
from api.schemas import Checkpoints, RefusedAttempts, SigningKeys
from api.scope import require_readable
from domain import Actor, Role
from eventstore.checkpoints import all_checkpoints, published_keys, verify_store
from eventstore.witness_client import WitnessRecordError, fetch_record

router = APIRouter(tags=["audit"], responses=NOT_MODIFIED)


@router.get(
    "/audit/keys",
    summary="The operator's checkpoint signing keys, old ones included",
    response_model=SigningKeys,
)
async def keys(context: ApiContext = Depends(get_context)) -> dict[str, Any]:
    # Public by design: whoever checks an export needs them, and they reveal nothing.
    return {"keys": [asdict(k) for k in await published_keys(context.pool)]}


@router.get(
    "/audit/checkpoints",
    summary="Signed checkpoints of the Merkle log, oldest first",
    response_model=Checkpoints,
    responses=UNAUTHORIZED,
)
async def checkpoints(
    _actor: Actor = Depends(get_actor), context: ApiContext = Depends(get_context)
) -> dict[str, Any]:
    found = await all_checkpoints(context.pool)
    return {"checkpoints": [c.as_json() for c in found]}


async def witnessed_verification(context: ApiContext) -> dict[str, Any]:
    """The store against the witness's record; ``configured: false`` without a witness."""
    if not context.witness_url:
        return {"configured": False, "ok": None, "problems": []}
    try:
        witnessed = await fetch_record(context.witness_url, context.witness_public_key)
    except WitnessRecordError as error:
        return {"configured": True, "ok": None, "problems": [str(error)]}
    result = await verify_store(context.pool, witnessed.record, witnessed.public_key)
    return {
        "configured": True,
        "key_pinned": witnessed.key_pinned,
        **asdict(result),
    }


@router.get(
    "/plans/{plan_id}/attempts",
    summary="Commands refused for a rule, role or scope, oldest first",
    response_model=RefusedAttempts,
    responses={**UNAUTHORIZED, **NOT_PERMITTED, **NOT_VISIBLE},
)
async def attempts(
    plan_id: PlanId, actor: Actor = Depends(get_actor), context: ApiContext = Depends(get_context)
) -> dict[str, Any]:
    if actor.role not in (Role.AUDITOR, Role.PROGRAMME_MANAGER):
        raise ApiError(
            403, "forbidden", "Only auditors and programme managers read refused attempts.",
            rule="not_permitted",
        )  # fmt: skip
    await require_readable(context.pool, actor, plan_id)
    found = await refused_attempts(context.store, plan_id)
    counts = summary(found)
    return {"attempts": found, **counts, "sentence": sentence(counts)}
