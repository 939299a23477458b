"""Reads: plans and their read models, overdue milestones, notifications, events, audit.

Every endpoint is scoped: a plan outside the caller's country is answered 404, exactly as a
plan that does not exist, and lists only contain what the caller may see.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

import asyncpg
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from api import reads
from api.bounds import (
    AfterVersion,
    AsOf,
    AsOfVersion,
    CountryFilter,
    EventsLimit,
    Limit,
    Offset,
    PlanId,
    PlanIdFilter,
    RegionFilter,
    parse_instant,
)
from api.conditional import check_plan_tag, page_links, plan_tag
from api.context import ApiContext, get_actor, get_context
from api.declared import NOT_MODIFIED, NOT_PERMITTED, NOT_VISIBLE, UNAUTHORIZED
from api.errors import ApiError
from api.language import request_language
from api.routes_audit import witnessed_verification
from api.schemas import (
    AuditPage,
    NotificationList,
    OverdueList,
    PlanBenchmarks,
    PlanEvents,
    PlanIndicators,
    PlanList,
    PlanMilestones,
    ReplayedPlan,
    Verification,
)
from api.scope import list_scope, not_found, require_readable, visible_countries
from domain import Actor, Phase, PlanState, Role, key_factor_status
from domain.benchmarks import worst_status
from projections.views import PlanSummary

# Every read is tagged (api.conditional): a client that sends If-None-Match may get a 304.
router = APIRouter(tags=["reads"], responses={**UNAUTHORIZED, **NOT_MODIFIED})
AUDIT_ROLES = frozenset({Role.PROGRAMME_MANAGER, Role.AUDITOR})


def _page(items: list[Any], limit: int, offset: int) -> dict[str, Any]:
    next_offset = offset + limit if len(items) == limit else None
    return {"limit": limit, "offset": offset, "next_offset": next_offset}


@router.get(
    "/plans",
    summary="Plans the caller may see (filter by country, WCO region and phase)",
    response_model=PlanList,
)
async def list_plans(
    request: Request,
    response: Response,
    country: CountryFilter = None,
    phase: Phase | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
    region: RegionFilter = None,
) -> dict[str, Any]:
    scope = list_scope(actor, country, region=region)
    plans = (
        []
        if scope is None
        else await reads.list_plans(
            context.pool,
            scope.countries,
            phase.value if phase else None,
            limit,
            offset,
            donor=scope.donor,
        )
    )
    page = _page(plans, limit, offset)
    response.headers["Link"] = page_links(request, **page)
    return {"plans": plans, **page}


def replayed_summary(state: PlanState) -> dict[str, Any]:
    milestones = state.milestones.values()
    covered = [b.status for b in key_factor_status(state).values() if b.indicators]
    return {
        "plan_id": state.plan_id,
        "country": state.country,
        "administration": state.administration,
        "title": state.title,
        "phase": state.phase.value,
        "version": state.version,
        "period_start": state.period_start.isoformat(),
        "period_end": state.period_end.isoformat(),
        "submitted_by": state.submitted_by,
        "approvals": reads.jsonable(state.approvals),
        "milestones_total": len(state.milestones),
        "milestones_completed": sum(m.status == "completed" for m in milestones),
        "milestones_overdue": sum(m.is_overdue for m in milestones),
        "indicators_total": len(state.indicators),
        "worst_status": worst_status(covered).value,
        "last_changed_at": state.last_changed_at.isoformat(),
    }


@router.get(
    "/plans/{plan_id}",
    summary="One plan's summary, or its state as of a time or version",
    responses=NOT_VISIBLE,
    response_model=ReplayedPlan | PlanSummary,
)
async def get_plan(
    request: Request,
    response: Response,
    plan_id: PlanId,
    as_of: AsOf = None,
    as_of_version: AsOfVersion = None,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> dict[str, Any]:
    await require_readable(context.pool, actor, plan_id)
    if as_of is None and as_of_version is None:
        summary = await reads.plan_summary(context.pool, plan_id)
        if summary is None:
            raise not_found(plan_id)
        check_plan_tag(request, response, plan_tag(plan_id, summary["last_position"], "summary"))
        return summary
    instant = parse_instant(as_of) if as_of else None
    replayed = await reads.replay(context.store, plan_id, as_of=instant, version=as_of_version)
    if replayed is None:
        when = as_of if as_of else f"version {as_of_version}"
        raise ApiError(
            404, "not_found", f"Plan {plan_id} has no event as of {when}.", rule="plan_not_found"
        )
    return {
        **replayed_summary(replayed.state),
        "as_of": reads.jsonable(replayed.as_of),
        "as_of_version": replayed.as_of_version,
        "last_recorded_at": reads.jsonable(replayed.last_recorded_at),
        "benchmarks": reads.jsonable(replayed.benchmarks),
        "state": reads.jsonable(replayed.state),
    }


async def _visible_plan(
    actor: Actor, plan_id: str, context: ApiContext, conditional: tuple[Request, Response, str]
) -> None:
    """404 unless the plan exists and the actor may see it; then the read's tag, or a 304
    before the read model is read at all if the client holds that tag already."""
    await require_readable(context.pool, actor, plan_id)
    summary = await reads.plan_summary(context.pool, plan_id)
    if summary is None:
        raise not_found(plan_id)
    request, response, representation = conditional
    tag = plan_tag(plan_id, summary["last_position"], representation)
    check_plan_tag(request, response, tag)


PlanPartRead = Callable[[asyncpg.Pool, str], Awaitable[list[dict[str, Any]]]]


def _plan_part_route(
    part: str, summary: str, model: type[BaseModel], key: str, read: PlanPartRead
) -> None:
    """``GET /plans/{plan_id}/<part>``: one part of a plan's read model, answered alike for
    every part (visibility, its own ETag, 304) and named as the OpenAPI document has it."""

    async def read_part(
        request: Request,
        response: Response,
        plan_id: PlanId,
        actor: Actor = Depends(get_actor),
        context: ApiContext = Depends(get_context),
    ) -> dict[str, Any]:
        await _visible_plan(actor, plan_id, context, (request, response, part))
        return {"plan_id": plan_id, key: await read(context.pool, plan_id)}

    router.get(
        f"/plans/{{plan_id}}/{part}",
        summary=summary,
        responses=NOT_VISIBLE,
        response_model=model,
        name=f"plan_{part}",
    )(read_part)


_plan_part_route(
    "milestones", "Milestones of a plan", PlanMilestones, "milestones", reads.milestones
)
_plan_part_route(
    "indicators",
    "Indicators with their measurements",
    PlanIndicators,
    "indicators",
    reads.indicators,
)
_plan_part_route(
    "benchmarks",
    "Benchmark status per key factor",
    PlanBenchmarks,
    "key_factors",
    reads.benchmarks,
)


@router.get(
    "/plans/{plan_id}/audit",
    summary="The plan's audit trail, oldest first",
    responses=NOT_VISIBLE,
    response_model=AuditPage,
)
async def plan_audit(
    request: Request,
    response: Response,
    plan_id: PlanId,
    limit: Limit = 100,
    offset: Offset = 0,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> dict[str, Any]:
    # The descriptions are written in the reader's language, so each language has its tag.
    language = request_language(request)
    page_kind = f"audit.{limit}.{offset}.{language}"
    await _visible_plan(actor, plan_id, context, (request, response, page_kind))
    trail = await reads.audit_trail(context.store, plan_id, limit, offset, language)
    response.headers["Content-Language"] = language
    more = offset + limit < trail["total"]
    next_offset = offset + limit if more else None
    response.headers["Link"] = page_links(
        request, limit=limit, offset=offset, next_offset=next_offset, total=trail["total"]
    )
    return {**trail, "next_offset": next_offset}


@router.get(
    "/plans/{plan_id}/events",
    summary="The plan's events exactly as stored, with hashes",
    responses=NOT_VISIBLE,
    response_model=PlanEvents,
)
async def plan_events(
    plan_id: PlanId,
    after_version: AfterVersion = 0,
    limit: EventsLimit = 1000,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> dict[str, Any]:
    await require_readable(context.pool, actor, plan_id)
    events = await reads.stored_events(context.store, plan_id, after_version, limit)
    if not events and after_version == 0:
        raise not_found(plan_id)
    return {"plan_id": plan_id, "events": events}


@router.get(
    "/milestones/overdue",
    summary="Overdue milestones across the plans the caller sees",
    response_model=OverdueList,
)
async def overdue(
    request: Request,
    response: Response,
    limit: Limit = 100,
    offset: Offset = 0,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> dict[str, Any]:
    scope = list_scope(actor)
    found = (
        []
        if scope is None
        else await reads.overdue_milestones(
            context.pool, scope.countries, limit=limit, offset=offset, donor=scope.donor
        )
    )
    page = _page(found, limit, offset)
    response.headers["Link"] = page_links(request, **page)
    return {"milestones": found, **page}


@router.get(
    "/notifications",
    summary="What was sent to whom, when, for which event",
    responses={**NOT_VISIBLE, **NOT_PERMITTED},
    response_model=NotificationList,
)
async def list_notifications(
    request: Request,
    response: Response,
    plan_id: PlanIdFilter = None,
    status: Literal["recorded", "sent", "failed"] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> dict[str, Any]:
    if actor.role is Role.OBSERVER:
        # Recipients' names and e-mail addresses are staff data, not plan status.
        raise ApiError(
            403, "forbidden", "Observers may not read notifications.", rule="not_permitted"
        )
    if plan_id is not None:
        await require_readable(context.pool, actor, plan_id)
    found = await reads.notifications(
        context.pool, visible_countries(actor), plan_id, limit, offset, status=status
    )
    page = _page(found, limit, offset)
    response.headers["Link"] = page_links(request, **page)
    return {"notifications": found, **page}


@router.get(
    "/audit/verify",
    summary="Recompute the hash chain of one plan or of the whole store",
    responses={**NOT_VISIBLE, **NOT_PERMITTED},
    response_model=Verification,
)
async def verify(
    plan_id: PlanIdFilter = None,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> dict[str, Any]:
    if plan_id is None and actor.role not in AUDIT_ROLES:
        raise ApiError(
            403,
            "forbidden",
            "Only auditors and programme managers may verify the whole store; pass plan_id.",
            rule="not_permitted",
        )
    if plan_id is not None:
        await require_readable(context.pool, actor, plan_id)
    report = await reads.verify(context.store, plan_id)
    if plan_id is not None:
        return reads.jsonable(report)
    witnessed = await witnessed_verification(context)
    # The chains alone can be recomputed by a superuser; the witness's record cannot.
    ok = report.ok and witnessed["ok"] is not False
    return {**reads.jsonable(report), "ok": ok, "witnessed": witnessed}
