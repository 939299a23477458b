"""The portfolio page: totals and the trend across the plans (a bar per quarter end, the
key factors of every plan by status: inline SVG, no assets), then a page of the key factor
x plan grid, with phases, overdue counts and each plan's own trend (a strip of its worst
key factor status at each quarter end). The page shows PAGE_SIZE plans at a time: the
totals and the trend cover every plan with the filters."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.bounds import Offset
from api.context import ApiContext
from api.routes_portfolio import portfolio_answer, portfolio_state
from api.scope import list_scope, region_filter
from api.web.render import render
from api.web.session import current_session
from domain import BenchmarkStatus, KeyFactor, Phase
from domain.benchmarks import STATUSES_BEST_FIRST, worst_status
from domain.commands import DONOR_PATTERN
from domain.regions import Region
from projections.portfolio import PortfolioFilter, QuarterStatuses, plan_trends
from projections.portfolio_totals import QuarterCounts

router = APIRouter(include_in_schema=False)
FilterText = Annotated[str, Query(max_length=40)]
PAGE_SIZE = 50
BAR_HEIGHT = 60
# The order statuses are stacked in, best at the bottom.
STACK_ORDER = list(STATUSES_BEST_FIRST)


def worst_covered(point: QuarterStatuses) -> BenchmarkStatus:
    """The plan's worst status at a quarter end over its covered key factors."""
    covered: list[BenchmarkStatus] = [
        s for s in point.statuses.values() if s is not BenchmarkStatus.NOT_COVERED
    ]
    return worst_status(covered) if covered else BenchmarkStatus.NOT_COVERED


def stacked_bar(point: QuarterCounts) -> list[tuple[BenchmarkStatus, int, float, float]]:
    """One quarter end's bar: (status, count, y, height) per status present, in pixels."""
    cells = sum(point.statuses.values()) or 1
    segments, top = [], float(BAR_HEIGHT)
    for status in STACK_ORDER:
        count = point.statuses.get(status, 0)
        if count:
            height = BAR_HEIGHT * count / cells
            top -= height
            segments.append((status, count, round(top, 2), round(height, 2)))
    return segments


@router.get("/ui/portfolio", response_class=HTMLResponse)
async def portfolio_page(
    request: Request,
    country: FilterText = "",
    phase: FilterText = "",
    donor: FilterText = "",
    region: FilterText = "",
    offset: Offset = 0,
) -> HTMLResponse:
    session = await current_session(request)
    context: ApiContext = request.app.state.context
    country = country.strip().upper()
    donor = donor.strip().lower()
    wanted_phase = phase if phase in {p.value for p in Phase} else None
    wanted_donor = donor if re.fullmatch(DONOR_PATTERN, donor) else None
    wanted_region = region_filter(region)
    scope = list_scope(session.actor, country or None, wanted_donor, wanted_region)
    chosen = None if scope is None else PortfolioFilter(scope.countries, wanted_phase, scope.donor)
    now = datetime.now(UTC)
    state = await portfolio_state(context, chosen, now)
    answer = await portfolio_answer(
        context, chosen, limit=PAGE_SIZE, offset=offset, now=now, state=state
    )
    plans = answer["plans"]
    filters = {
        "country": country if re.fullmatch("[A-Z]{3}", country) else "",
        "phase": wanted_phase or "",
        "donor": wanted_donor or "",
        "region": wanted_region or "",
    }
    # The downloads carry the filters the page shows.
    export_query = "".join(f"&{k}={v}" for k, v in filters.items() if v)
    trends = await plan_trends(context.pool, [p.plan_id for p in plans], now=now)
    return render(
        request,
        "portfolio.html",
        session=session,
        nav="portfolio",
        plans=plans,
        answer=answer,
        bars=[(point, stacked_bar(point)) for point in answer["trend"]],
        bar_height=BAR_HEIGHT,
        trends={pid: [(q.quarter_end, worst_covered(q)) for q in t] for pid, t in trends.items()},
        key_factors=list(KeyFactor),
        phases=[p.value for p in Phase],
        regions=[r.value for r in Region],
        filters={**filters, "donor": donor},
        export_query=export_query,
        pager=_pager(filters, offset, answer),
    )


def _pager(filters: dict[str, str], offset: int, answer: dict[str, Any]) -> dict[str, Any]:
    def link(at: int) -> str:
        kept = {k: v for k, v in filters.items() if v}
        return "/ui/portfolio?" + urlencode({**kept, "offset": at})

    return {
        "first": offset + 1 if answer["plans"] else 0,
        "last": offset + len(answer["plans"]),
        "previous": link(max(offset - PAGE_SIZE, 0)) if offset else None,
        "next": link(offset + PAGE_SIZE) if answer["next_offset"] is not None else None,
    }
