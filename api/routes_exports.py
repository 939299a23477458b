"""CSV and XLSX downloads of the dashboard's lists: plans, overdue milestones, measurements
due (once the results framework lands), notifications and a plan's audit trail.

Each export calls the JSON route it mirrors, page after page (its paging headers land in a
response thrown away), so the rows, their scoping and their refusals are exactly the API's;
only the encoding differs (reports.tables).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api import routes_reads
from api.bounds import MAX_PAGE, CountryFilter, PlanId, PlanIdFilter, RegionFilter
from api.context import ApiContext, get_actor, get_context
from api.errors import ErrorBody
from domain import Actor, Phase
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


def file_response(name: str, rows: list[dict[str, Any]], fmt: ExportFormat) -> Response:
    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    content = to_csv(rows) if fmt == "csv" else to_xlsx(name, rows, now)
    headers = {"Content-Disposition": f'attachment; filename="acip-{name}-{stamp}.{fmt}"'}
    return Response(content, media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get(
    "/exports/plans",
    summary="The plans list as CSV or XLSX",
    response_class=Response,
    responses=FILE_RESPONSES,
)
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

    return file_response("plans", await every_row(page, "plans"), format)


@router.get(
    "/exports/milestones/overdue",
    summary="Overdue milestones as CSV or XLSX",
    response_class=Response,
    responses=FILE_RESPONSES,
)
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

    return file_response("overdue-milestones", await every_row(page, "milestones"), format)


@router.get(
    "/exports/notifications",
    summary="Notifications as CSV or XLSX",
    response_class=Response,
    responses=FILE_RESPONSES,
)
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

    return file_response("notifications", await every_row(page, "notifications"), format)


@router.get(
    "/plans/{plan_id}/audit/export",
    summary="A plan's audit trail as CSV or XLSX",
    response_class=Response,
    responses=FILE_RESPONSES,
)
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

    return file_response(f"audit-{plan_id}", await every_row(page, "entries"), format)
