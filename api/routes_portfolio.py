"""The portfolio: every plan the caller may see, key factor by country, as of today and as
of every quarter end since each plan opened (projections.portfolio)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends

from api.bounds import CountryFilter, DonorFilter, RegionFilter
from api.context import ApiContext, get_actor, get_context
from api.declared import NOT_MODIFIED, UNAUTHORIZED
from api.schemas import Portfolio
from api.scope import list_scope
from domain import Actor, KeyFactor, Phase
from projections.portfolio import portfolio

router = APIRouter(tags=["reads"], responses={**UNAUTHORIZED, **NOT_MODIFIED})


@router.get(
    "/portfolio",
    summary="Key factor x country grid of the plans the caller sees, with their trend",
    response_model=Portfolio,
)
async def get_portfolio(
    country: CountryFilter = None,
    phase: Phase | None = None,
    donor: DonorFilter = None,
    region: RegionFilter = None,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> dict[str, Any]:
    now = datetime.now(UTC)
    scope = list_scope(actor, country, donor, region)
    plans = (
        []
        if scope is None
        else await portfolio(
            context.pool,
            countries=scope.countries,
            phase=phase.value if phase else None,
            donor=scope.donor,
            now=now,
        )
    )
    return {
        "as_of": now,
        "key_factors": list(KeyFactor),
        "plans": plans,
        "milestones_overdue": sum(plan.milestones_overdue for plan in plans),
        "measurements_due": sum(plan.measurements_due for plan in plans),
    }
