"""Reads of the results framework: the outcome tree with targets per period, the diagnostic
at the start and at the end, and measurements due across the plans the caller may see.

Scoped like every read (api.routes_reads): a plan outside the caller's country is a 404,
exactly as one that does not exist; lists hold only what the caller may see.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.bounds import Limit, Offset, PlanId, PlanIdFilter
from api.context import ApiContext, get_actor, get_context
from api.errors import ErrorBody
from api.scope import list_scope, not_found, require_visible
from domain import Actor
from projections.results import Diagnostic, MeasurementDueItem, ResultsFramework
from projections.results_queries import get_diagnostic, get_results_framework, measurements_due

router = APIRouter(tags=["results framework"])

NOT_VISIBLE: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such plan, or not one the caller may see"}
}


class MeasurementsDuePage(BaseModel):
    today: date
    measurements: list[MeasurementDueItem]
    limit: int
    offset: int
    next_offset: int | None


Found = TypeVar("Found")


async def _visible_read(
    actor: Actor, plan_id: str, read: Callable[[], Awaitable[Found | None]]
) -> Found:
    """404 for a plan the actor may not see, exactly as for one that does not exist."""
    require_visible(actor, plan_id)
    found = await read()
    if found is None:
        raise not_found(plan_id)
    return found


def today_utc() -> date:
    return datetime.now(UTC).date()


@router.get(
    "/plans/{plan_id}/results",
    summary="The results framework: outcomes, milestones, indicators, targets per period",
    response_model=ResultsFramework,
    responses=NOT_VISIBLE,
)
async def plan_results(
    plan_id: PlanId, actor: Actor = Depends(get_actor), context: ApiContext = Depends(get_context)
) -> ResultsFramework:
    return await _visible_read(
        actor, plan_id, lambda: get_results_framework(context.pool, plan_id, today_utc())
    )


@router.get(
    "/plans/{plan_id}/diagnostic",
    summary="Maturity per key factor at the diagnostic and at the final assessment",
    response_model=Diagnostic,
    responses=NOT_VISIBLE,
)
async def plan_diagnostic(
    plan_id: PlanId, actor: Actor = Depends(get_actor), context: ApiContext = Depends(get_context)
) -> Diagnostic:
    return await _visible_read(actor, plan_id, lambda: get_diagnostic(context.pool, plan_id))


@router.get(
    "/measurements/due",
    summary="Indicators whose latest reporting period ended without a measurement",
    response_model=MeasurementsDuePage,
    responses=NOT_VISIBLE,
)
async def due(
    plan_id: PlanIdFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> MeasurementsDuePage:
    if plan_id is not None:
        require_visible(actor, plan_id)
    scope = list_scope(actor)
    today = today_utc()
    found = (
        []
        if scope is None
        else await measurements_due(
            context.pool,
            today=today,
            countries=scope.countries,
            plan_id=plan_id,
            limit=limit,
            offset=offset,
            donor=scope.donor,
        )
    )
    return MeasurementsDuePage(
        today=today,
        measurements=found,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if len(found) == limit else None,
    )
