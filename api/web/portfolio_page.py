"""The portfolio page: key factor x plan grid, phases, overdue counts and each plan's trend
(a strip of its worst key factor status at each quarter end, inline SVG, no assets)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.context import ApiContext
from api.scope import list_scope, region_filter
from api.web.render import render
from api.web.session import current_session
from domain import BenchmarkStatus, KeyFactor, Phase
from domain.benchmarks import worst_status
from domain.commands import DONOR_PATTERN
from domain.regions import Region
from projections.portfolio import QuarterStatuses, portfolio

router = APIRouter(include_in_schema=False)
FilterText = Annotated[str, Query(max_length=40)]


def worst_covered(point: QuarterStatuses) -> BenchmarkStatus:
    """The plan's worst status at a quarter end over its covered key factors."""
    covered: list[BenchmarkStatus] = [
        s for s in point.statuses.values() if s is not BenchmarkStatus.NOT_COVERED
    ]
    return worst_status(covered) if covered else BenchmarkStatus.NOT_COVERED


@router.get("/ui/portfolio", response_class=HTMLResponse)
async def portfolio_page(
    request: Request,
    country: FilterText = "",
    phase: FilterText = "",
    donor: FilterText = "",
    region: FilterText = "",
) -> HTMLResponse:
    session = await current_session(request)
    context: ApiContext = request.app.state.context
    country = country.strip().upper()
    donor = donor.strip().lower()
    wanted_phase = phase if phase in {p.value for p in Phase} else None
    wanted_donor = donor if re.fullmatch(DONOR_PATTERN, donor) else None
    wanted_region = region_filter(region)
    scope = list_scope(session.actor, country or None, wanted_donor, wanted_region)
    plans = (
        []
        if scope is None
        else await portfolio(
            context.pool,
            countries=scope.countries,
            phase=wanted_phase,
            donor=scope.donor,
            now=datetime.now(UTC),
        )
    )
    filters = {
        "country": country if re.fullmatch("[A-Z]{3}", country) else "",
        "phase": wanted_phase or "",
        "donor": wanted_donor or "",
        "region": wanted_region or "",
    }
    # The downloads carry the filters the page shows.
    export_query = "".join(f"&{k}={v}" for k, v in filters.items() if v)
    trends = {p.plan_id: [(q.quarter_end, worst_covered(q)) for q in p.trend] for p in plans}
    return render(
        request,
        "portfolio.html",
        session=session,
        nav="portfolio",
        plans=plans,
        trends=trends,
        key_factors=list(KeyFactor),
        phases=[p.value for p in Phase],
        regions=[r.value for r in Region],
        filters={**filters, "donor": donor},
        export_query=export_query,
        overdue=sum(p.milestones_overdue for p in plans),
    )
