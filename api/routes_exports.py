"""CSV and XLSX downloads of the dashboard's lists: plans, overdue milestones, measurements
due, the portfolio grid and its trend, notifications and a plan's audit trail.

Each export calls the JSON route it mirrors, page after page (its paging headers land in a
response thrown away), so the rows, their scoping and their refusals are exactly the API's;
only the encoding differs (reports.tables).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response

from api import routes_reads, routes_results
from api.bounds import MAX_PAGE, CountryFilter, DonorFilter, PlanId, PlanIdFilter, RegionFilter
from api.context import ApiContext, get_actor, get_context
from api.errors import ErrorBody
from api.scope import list_scope
from domain import Actor, Phase
from projections.portfolio import portfolio
from reports.tables import to_csv, to_xlsx

router = APIRouter(tags=["exports"])

ExportFormat = Literal["csv", "xlsx"]
FormatQuery = Query(description="csv (UTF-8 with a byte-order mark) or xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            t: {"schema": {"type": "string", "format": "binary"}} for t in MEDIA_TYPES.values()
        },
        "description": "The file",
    },
    403: {"model": ErrorBody, "description": "The role may not read this list"},
    404: {"model": ErrorBody, "description": "No such plan, or not one the caller may see"},
}
Page = Callable[[int], Awaitable[dict[str, Any]]]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


async def every_row(page: Page, key: str) -> list[dict[str, Any]]:
    """All rows of a paged list: the route again from the next offset while pages are full."""
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        found: list[dict[str, Any]] = (await page(offset))[key]
        rows.extend(found)
        if len(found) < MAX_PAGE:
            return rows
        offset += MAX_PAGE


def export_route(path: str, summary: str) -> Callable[[Endpoint], Endpoint]:
    """A download: a file of the given formats, refused as the list it mirrors is."""
    return router.get(path, summary=summary, response_class=Response, responses=FILE_RESPONSES)


async def paged_file(name: str, page: Page, key: str, fmt: ExportFormat) -> Response:
    return file_response(name, await every_row(page, key), fmt)


def file_response(name: str, rows: list[dict[str, Any]], fmt: ExportFormat) -> Response:
    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    content = to_csv(rows) if fmt == "csv" else to_xlsx(name, rows, now)
    headers = {"Content-Disposition": f'attachment; filename="acip-{name}-{stamp}.{fmt}"'}
    return Response(content, media_type=MEDIA_TYPES[fmt], headers=headers)


@export_route("/exports/plans", "The plans list as CSV or XLSX")
async def export_plans(
    request: Request,
    format: ExportFormat = FormatQuery,
    country: CountryFilter = None,
    phase: Phase | None = None,
    region: RegionFilter = None,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> Response:
    async def page(offset: int) -> dict[str, Any]:
        return await routes_reads.list_plans(
            request, Response(), country=country, phase=phase, limit=MAX_PAGE, offset=offset,
            actor=actor, context=context, region=region,
        )  # fmt: skip

    return await paged_file("plans", page, "plans", format)


@export_route("/exports/milestones/overdue", "Overdue milestones as CSV or XLSX")
async def export_overdue(
    request: Request,
    format: ExportFormat = FormatQuery,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> Response:
    async def page(offset: int) -> dict[str, Any]:
        return await routes_reads.overdue(
            request, Response(), limit=MAX_PAGE, offset=offset, actor=actor, context=context
        )

    return await paged_file("overdue-milestones", page, "milestones", format)


@export_route("/exports/notifications", "Notifications as CSV or XLSX")
async def export_notifications(
    request: Request,
    format: ExportFormat = FormatQuery,
    plan_id: PlanIdFilter = None,
    status: Literal["recorded", "sent", "failed"] | None = None,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> Response:
    async def page(offset: int) -> dict[str, Any]:
        return await routes_reads.list_notifications(
            request, Response(), plan_id=plan_id, status=status, limit=MAX_PAGE, offset=offset,
            actor=actor, context=context,
        )  # fmt: skip

    return await paged_file("notifications", page, "notifications", format)


@export_route("/plans/{plan_id}/audit/export", "A plan's audit trail as CSV or XLSX")
async def export_audit(
    request: Request,
    plan_id: PlanId,
    format: ExportFormat = FormatQuery,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> Response:
    async def page(offset: int) -> dict[str, Any]:
        return await routes_reads.plan_audit(
            request, Response(), plan_id=plan_id, limit=MAX_PAGE, offset=offset, actor=actor,
            context=context,
        )  # fmt: skip

    return await paged_file(f"audit-{plan_id}", page, "entries", format)


@export_route("/exports/measurements/due", "Measurements due as CSV or XLSX")
async def export_measurements_due(
    format: ExportFormat = FormatQuery,
    plan_id: PlanIdFilter = None,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> Response:
    async def page(offset: int) -> dict[str, Any]:
        found = await routes_results.due(
            plan_id=plan_id, limit=MAX_PAGE, offset=offset, actor=actor, context=context
        )
        return found.model_dump(mode="json")

    return await paged_file("measurements-due", page, "measurements", format)


def portfolio_filters(
    country: CountryFilter = None,
    phase: Phase | None = None,
    donor: DonorFilter = None,
    region: RegionFilter = None,
) -> dict[str, Any]:
    """The portfolio's own filters, for its exports."""
    return {"country": country, "phase": phase, "donor": donor, "region": region}


async def portfolio_plans(
    filters: dict[str, Any] = Depends(portfolio_filters),
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> list[dict[str, Any]]:
    """Every plan of the portfolio with these filters (all pages), with its trend: what
    both of its exports are made of."""
    scope = list_scope(actor, filters["country"], filters["donor"], filters["region"])
    if scope is None:
        return []
    phase = filters["phase"]
    plans = await portfolio(
        context.pool,
        countries=scope.countries,
        phase=phase.value if phase else None,
        donor=scope.donor,
    )
    rows: list[dict[str, Any]] = jsonable_encoder(plans)
    return rows


@export_route(
    "/exports/portfolio",
    "The portfolio grid as CSV or XLSX: one row per plan, a column per key factor",
)
async def export_portfolio(
    format: ExportFormat = FormatQuery,
    plans: list[dict[str, Any]] = Depends(portfolio_plans),
) -> Response:
    rows = [
        {
            **{k: v for k, v in plan.items() if k not in ("statuses", "trend")},
            **plan["statuses"],
        }
        for plan in plans
    ]
    return file_response("portfolio", rows, format)


@export_route(
    "/exports/portfolio/trend",
    "The portfolio trend as CSV or XLSX: one row per plan and quarter end",
)
async def export_portfolio_trend(
    format: ExportFormat = FormatQuery,
    plans: list[dict[str, Any]] = Depends(portfolio_plans),
) -> Response:
    rows = [
        {
            "plan_id": plan["plan_id"],
            "country": plan["country"],
            "quarter_end": point["quarter_end"],
            **point["statuses"],
        }
        for plan in plans
        for point in plan["trend"]
    ]
    return file_response("portfolio-trend", rows, format)
