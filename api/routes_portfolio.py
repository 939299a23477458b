"""The portfolio: a page of the plans the caller may see, key factor by country, with
totals and the trend across all of them counted in SQL (projections.portfolio_totals), and
one plan's trend on demand (projections.portfolio)."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from api.bounds import CountryFilter, DonorFilter, Limit, Offset, PlanId, RegionFilter
from api.conditional import check_plan_tag, page_links
from api.context import ApiContext, get_actor, get_context
from api.declared import NOT_MODIFIED, NOT_VISIBLE, UNAUTHORIZED
from api.schemas import PlanTrend, Portfolio
from api.scope import list_scope, not_found, require_readable
from api.versioning import API_VERSION
from domain import Actor, KeyFactor, Phase
from projections.checkpoints import read_models_moved
from projections.portfolio import PortfolioFilter, plan_trends, portfolio_plans
from projections.portfolio_totals import portfolio_totals

router = APIRouter(tags=["reads"], responses={**UNAUTHORIZED, **NOT_MODIFIED})


# The totals of the last few (state, scope) pairs: they are a function of the read model's
# position, the day and the scope only (portfolio_state), so a read between two events
# reuses them; the first read after the projector moves computes them again.
_REMEMBERED_TOTALS: OrderedDict[str, dict[str, Any]] = OrderedDict()
REMEMBERED = 32


async def portfolio_state(
    context: ApiContext, chosen: PortfolioFilter | None, now: datetime
) -> str:
    """What the answer is a function of, besides the page: the projector's position (or a
    rebuild swapping the read model in), the day (quarter ends and reporting periods pass
    at midnight UTC) and the scope and filters. One small read."""
    return repr((await read_models_moved(context.pool), now.date(), chosen))


def portfolio_tag(state: str, limit: int, offset: int) -> str:
    """The answer's tag, known before it is computed: a client that holds it gets a 304."""
    key = f"{state}.{limit}.{offset}".encode()
    return f'W/"portfolio.{hashlib.sha256(key).hexdigest()[:32]}.{API_VERSION}"'


async def _totals(
    context: ApiContext, chosen: PortfolioFilter, now: datetime, state: str | None
) -> dict[str, Any]:
    if state is not None and state in _REMEMBERED_TOTALS:
        _REMEMBERED_TOTALS.move_to_end(state)
        return dict(_REMEMBERED_TOTALS[state])
    totals = dict(await portfolio_totals(context.pool, chosen, now=now))
    if state is not None:
        _REMEMBERED_TOTALS[state] = totals
        while len(_REMEMBERED_TOTALS) > REMEMBERED:
            _REMEMBERED_TOTALS.popitem(last=False)
    return dict(totals)


async def portfolio_answer(
    context: ApiContext,
    chosen: PortfolioFilter | None,
    *,
    limit: int,
    offset: int,
    now: datetime,
    state: str | None = None,
) -> dict[str, Any]:
    """The portfolio's answer (the API's and the page's); ``chosen`` None: the caller sees
    no plan. With ``state`` (portfolio_state), totals already counted for it are reused."""
    if chosen is None:
        plans: list[Any] = []
        totals: dict[str, Any] = {
            "plans": 0, "milestones_overdue": 0, "measurements_due": 0,
            "status_counts": {k: {} for k in KeyFactor}, "trend": [],
        }  # fmt: skip
    else:
        # The page and the totals at once (the pool lends each its own connections).
        plans, totals = await asyncio.gather(
            portfolio_plans(context.pool, chosen, now=now, limit=limit, offset=offset),
            _totals(context, chosen, now, state),
        )
    total = totals.pop("plans")
    return {
        "as_of": now,
        "key_factors": list(KeyFactor),
        "plans": plans,
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if offset + limit < total else None,
        **totals,
    }


@router.get(
    "/portfolio",
    summary="Key factor x country grid of the plans the caller sees, with totals and trend",
    response_model=Portfolio,
)
async def get_portfolio(
    request: Request,
    response: Response,
    country: CountryFilter = None,
    phase: Phase | None = None,
    donor: DonorFilter = None,
    region: RegionFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> dict[str, Any]:
    scope = list_scope(actor, country, donor, region)
    chosen = (
        None
        if scope is None
        else PortfolioFilter(scope.countries, phase.value if phase else None, scope.donor)
    )
    now = datetime.now(UTC)
    state = await portfolio_state(context, chosen, now)
    check_plan_tag(request, response, portfolio_tag(state, limit, offset))
    answer = await portfolio_answer(
        context, chosen, limit=limit, offset=offset, now=now, state=state
    )
    response.headers["Link"] = page_links(
        request, limit=limit, offset=offset, next_offset=answer["next_offset"],
        total=answer["total"],
    )  # fmt: skip
    return answer


@router.get(
    "/plans/{plan_id}/trend",
    summary="The plan's key factor statuses as of every quarter end since it opened",
    responses=NOT_VISIBLE,
    response_model=PlanTrend,
)
async def get_plan_trend(
    plan_id: PlanId,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> dict[str, Any]:
    await require_readable(context.pool, actor, plan_id)
    now = datetime.now(UTC)
    trends = await plan_trends(context.pool, [plan_id], now=now)
    if plan_id not in trends:
        raise not_found(plan_id)
    return {"plan_id": plan_id, "as_of": now, "trend": trends[plan_id]}
