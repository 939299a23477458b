"""Dashboard pages (GET): plans, one plan, overdue milestones, audit and history replay."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api import reads
from api.attempts import sentences_by_plan
from api.bounds import MAX_SQL_INTEGER, Offset, PlanId, parse_instant
from api.context import ApiContext
from api.dispatch import process_status
from api.errors import ApiError
from api.language import request_language
from api.routes_results import today_utc
from api.scope import list_scope, not_found, region_filter, require_readable, visible_countries
from api.web.forms import (
    INDICATOR_FORMS,
    MILESTONE_FORMS,
    OPEN_PLAN_FORM,
    OUTCOME_FORMS,
    PLAN_FORMS,
    offered,
)
from api.web.notices import done_notice, error_page
from api.web.render import render
from api.web.session import Session, current_session
from domain import KeyFactor, Phase, Role
from domain.regions import Region
from locales.catalogs import N_, gettext_in
from locales.formatting import day as format_day
from locales.terms import term
from projections.results import IndicatorResult, ResultsFramework
from projections.results_queries import (
    get_diagnostic,
    get_results_framework,
    measurements_due,
    plan_state,
)

router = APIRouter(include_in_schema=False)

# What a person types into the dashboard's filter and replay boxes: text, bounded in length;
# the page reads it leniently (lower case, spaces) and says in words what it cannot use.
# Who starts at the portfolio rather than the plan list (focal points, heads: their plans).
PORTFOLIO_HOME_ROLES = frozenset({Role.PROGRAMME_MANAGER, Role.AUDITOR, Role.OBSERVER})
CountryText = Annotated[str, Query(max_length=20)]
PhaseText = Annotated[str, Query(max_length=40)]
InstantText = Annotated[str, Query(max_length=40)]
VersionText = Annotated[str, Query(max_length=20)]

LIFECYCLE = [p.value for p in Phase if p is not Phase.CANCELLED]
PAGE_SIZE = 50
UNDELIVERED_SHOWN = 20
# The Actions panel's line for the forms each row of a table carries.
ROW_ACTIONS = {
    "milestone": N_("On each milestone below: %(actions)s"),
    "indicator": N_("On each indicator below: %(actions)s"),
    "outcome": N_("On each outcome below: %(actions)s"),
}
CHART_LABELS = {
    "measured": N_("Measured"),
    "expected": N_("Expected"),
    "baseline": N_("Baseline"),
    "target": N_("Target"),
    "original_target": N_("Original target"),
    "at_diagnostic": N_("At the diagnostic"),
    "at_final_assessment": N_("At the final assessment"),
    "maturity_axis": N_("maturity (1-5)"),
}


def _context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


@router.get("/")
@router.get("/ui")
@router.get("/ui/")
async def home(request: Request) -> RedirectResponse:
    """Programme managers, auditors and observers start at the portfolio; focal points and
    heads of administration at their plan list."""
    session = await current_session(request)
    portfolio_home = session.actor.role in PORTFOLIO_HOME_ROLES
    return RedirectResponse("/ui/portfolio" if portfolio_home else "/ui/plans", status_code=303)


@router.get("/ui/plans", response_class=HTMLResponse)
async def plans_page(
    request: Request,
    country: CountryText = "",
    phase: PhaseText = "",
    offset: Offset = 0,
    region: PhaseText = "",
) -> HTMLResponse:
    session = await current_session(request)
    country = country.strip().upper()
    wanted_phase = phase if phase in {p.value for p in Phase} else None
    wanted_region = region_filter(region)
    scope = list_scope(session.actor, country or None, region=wanted_region)
    pool = _context(request).pool
    plans = []
    if scope is not None:
        plans = await reads.list_plans(
            pool, scope.countries, wanted_phase, PAGE_SIZE, offset, donor=scope.donor
        )
    region_code = wanted_region.value if wanted_region else ""

    def link(at: int) -> str:
        query = {
            "country": country, "region": region_code, "phase": wanted_phase or "", "offset": at
        }  # fmt: skip
        return "/ui/plans?" + urlencode({k: v for k, v in query.items() if v not in ("", 0)})

    page = {
        "offset": offset,
        "previous": link(max(offset - PAGE_SIZE, 0)) if offset else None,
        "next": link(offset + PAGE_SIZE) if len(plans) == PAGE_SIZE else None,
    }
    open_form = OPEN_PLAN_FORM if session.actor.role is Role.PROGRAMME_MANAGER else None
    return render(
        request,
        "plans.html",
        session=session,
        nav="plans",
        plans=plans,
        filters={"country": country, "phase": wanted_phase, "region": region_code},
        phases=[p.value for p in Phase],
        regions=[r.value for r in Region],
        page=page,
        open_form=open_form,
        notice=done_notice(request, request.query_params.get("done", "")),
    )


async def plan_page_context(request: Request, session: Session, plan_id: str) -> dict[str, Any]:
    """Everything the plan page shows; 404 (ApiError) outside the user's scope."""
    await require_readable(_context(request).pool, session.actor, plan_id)
    pool, store = _context(request).pool, _context(request).store
    plan = await reads.plan_summary(pool, plan_id)
    if plan is None:
        raise not_found(plan_id)
    indicators = await reads.indicators(pool, plan_id)
    process, undelivered = None, []
    if plan["phase"] not in (Phase.CLOSED, Phase.CANCELLED):
        process = await process_status(_context(request).temporal, plan_id)
    if session.actor.role is not Role.OBSERVER:  # recipients are staff data (as in the API)
        undelivered = await reads.notifications(
            pool, None, plan_id, UNDELIVERED_SHOWN, 0, status="failed"
        )
    trail = await reads.audit_trail(store, plan_id, limit=1000, offset=0)
    actor, country, phase = session.actor, plan["country"], plan["phase"]
    phase_index = LIFECYCLE.index(phase) if phase in LIFECYCLE else len(LIFECYCLE)
    plan_forms = offered(PLAN_FORMS, actor, country, phase)
    if any(a["role"] == actor.role for a in plan["approvals"]) or (
        plan["submitted_by"] == actor.name
    ):
        # This role's approval of the submission is in, or this person submitted it (four
        # eyes): an Approve form could only be refused.
        plan_forms = [f for f in plan_forms if f.type != "approve_plan"]
    milestone_forms = offered(MILESTONE_FORMS, actor, country, phase)
    indicator_forms = offered(INDICATOR_FORMS, actor, country, phase)
    outcome_forms = offered(OUTCOME_FORMS, actor, country, phase)
    today = today_utc()
    results = await get_results_framework(pool, plan_id, today)
    diagnostic = await get_diagnostic(pool, plan_id)
    state = await plan_state(pool, plan_id)
    findings, form_values = None, {}
    if phase == Phase.DIAGNOSTIC:
        # The diagnostic is not in the read models; its few events replay in a moment.
        replayed = await reads.replay(store, plan_id)
        findings = dict(replayed.state.findings) if replayed else {}
        missing = [k.value for k in KeyFactor if k not in findings]
        if missing:  # offer the next key factor still to assess
            form_values["record_diagnostic_finding"] = {"key_factor": missing[0]}
    return {
        "session": session,
        "nav": "plans",
        "plan": plan,
        "process": process,
        "undelivered": undelivered,
        "findings": findings,
        "form_values": form_values,
        "lifecycle": LIFECYCLE,
        "done_phases": LIFECYCLE[:phase_index],
        "milestones": await reads.milestones(pool, plan_id),
        "indicators": indicators,
        "benchmarks": await reads.benchmarks(pool, plan_id),
        "audit": list(reversed(trail["entries"])),
        "plan_forms": plan_forms,
        "milestone_forms": milestone_forms,
        "indicator_forms": indicator_forms,
        "outcome_forms": outcome_forms,
        # What the Actions panel lists beside the plan's own forms: the rows' actions.
        "row_actions": [
            (what, [f.type for f in forms])
            for what, forms, rows in (
                (ROW_ACTIONS["milestone"], milestone_forms, plan["milestones_total"]),
                (ROW_ACTIONS["indicator"], indicator_forms, plan["indicators_total"]),
                (ROW_ACTIONS["outcome"], outcome_forms, len(results.outcomes) if results else 0),
            )
            if forms and rows
        ],
        "results": reads.jsonable(results) if results else None,
        # Free text people wrote, shown where the thing is (the timeline has all of it).
        "written": {
            "changes_requested": state.changes_requested_reason if state else None,
            "closing_summary": state.closing_summary if state else None,
            "cancel_reason": state.cancel_reason if state else None,
            "rating_notes": {k.value: r.note for k, r in state.ratings.items()} if state else {},
        },
        "diagnostic": reads.jsonable(diagnostic) if diagnostic else None,
        "measurements_due": reads.jsonable(
            await measurements_due(pool, today=today, plan_id=plan_id, limit=500)
        ),
        "action": f"/ui/plans/{plan_id}/commands",
        "chart_data": {
            "labels": {
                key: gettext_in(request_language(request), message)
                for key, message in CHART_LABELS.items()
            },
            "period_start": plan["period_start"],
            "period_end": plan["period_end"],
            "indicators": indicators,
            "diagnostic": [
                {**reads.jsonable(d), "label": term(d.key_factor.value, request_language(request))}
                for d in (diagnostic.key_factors if diagnostic else [])
            ],
            "paths": {
                i: reads.jsonable(v.period_targets) for i, v in _indicators_of(results).items()
            },
        },
    }


def _indicators_of(results: ResultsFramework | None) -> dict[str, IndicatorResult]:
    """Every indicator of the results framework, wherever it sits in the tree."""
    if results is None:
        return {}
    found = {i.indicator_id: i for i in results.unassigned_indicators}
    stack = list(results.outcomes)
    while stack:
        outcome = stack.pop()
        found.update({i.indicator_id: i for i in outcome.indicators})
        stack.extend(outcome.outcomes)
    return found


@router.get("/ui/plans/{plan_id}", response_class=HTMLResponse)
async def plan_page(request: Request, plan_id: PlanId) -> HTMLResponse:
    session = await current_session(request)
    try:
        context = await plan_page_context(request, session, plan_id)
    except ApiError as error:
        return error_page(request, session, error)
    context["notice"] = done_notice(request, request.query_params.get("done", ""))
    return render(request, "plan.html", **context)


@router.get("/ui/overdue", response_class=HTMLResponse)
async def overdue_page(request: Request) -> HTMLResponse:
    session = await current_session(request)
    pool, scope = _context(request).pool, list_scope(session.actor)
    found, due = [], []
    if scope is not None:
        found = await reads.overdue_milestones(pool, scope.countries, donor=scope.donor)
        due = await measurements_due(
            pool, today=today_utc(), countries=scope.countries, limit=500, donor=scope.donor
        )
    return render(
        request,
        "overdue.html",
        session=session,
        nav="overdue",
        milestones=found,
        measurements=reads.jsonable(due),
    )


@router.get("/ui/audit", response_class=HTMLResponse)
async def audit_page(request: Request) -> HTMLResponse:
    session = await current_session(request)
    pool = _context(request).pool
    verify = None
    attempts: dict[str, str] = {}
    if session.actor.role in (Role.AUDITOR, Role.PROGRAMME_MANAGER):
        verify = reads.jsonable(await reads.verify(_context(request).store, None))
        attempts = await sentences_by_plan(_context(request).store, request_language(request))
    plans = await reads.list_plans(pool, visible_countries(session.actor), None, 500, 0)
    return render(
        request,
        "audit.html",
        session=session,
        nav="audit",
        plans=plans,
        verify=verify,
        attempts=attempts,
    )


@router.get("/ui/plans/{plan_id}/history", response_class=HTMLResponse)
async def history_page(
    request: Request,
    plan_id: PlanId,
    as_of: InstantText = "",
    as_of_version: VersionText = "",
) -> HTMLResponse:
    session = await current_session(request)
    pool, store = _context(request).pool, _context(request).store
    try:
        await require_readable(pool, session.actor, plan_id)
        version = int(as_of_version) if as_of_version.strip() else None
        if version is not None and not 1 <= version <= MAX_SQL_INTEGER:
            raise ValueError(version)
        instant = parse_instant(as_of) if as_of.strip() else None
    except ValueError:
        message = gettext_in(
            request_language(request), "The version must be a whole number from 1 to %(max)s."
        ) % {"max": MAX_SQL_INTEGER}
        return error_page(request, session, ApiError(422, "invalid_request", message))
    except ApiError as error:
        return error_page(request, session, error)
    replayed = None
    if instant is not None or version is not None:
        replayed = await reads.replay(store, plan_id, as_of=instant, version=version)
    elif await reads.plan_summary(pool, plan_id) is None:
        return error_page(request, session, not_found(plan_id))
    label = None
    language = request_language(request)
    if version is not None:
        label = gettext_in(language, "version %(version)s") % {"version": version}
    elif instant is not None:
        label = as_of
        if len(as_of) == 10:
            label = gettext_in(language, "%(date)s (end of day, UTC)") % {
                "date": format_day(as_of, language)
            }
    trail = await reads.audit_trail(store, plan_id, limit=5000, offset=0)
    upto = replayed.version if replayed else (0 if label else None)
    entries = [e for e in trail["entries"] if upto is None or e["version"] <= upto]
    return render(
        request,
        "history.html",
        session=session,
        nav="audit",
        plan_id=plan_id,
        as_of=as_of if len(as_of) == 10 else "",
        as_of_version=version,
        state=replayed.state if replayed else None,
        replay_label=label,
        replay_benchmarks=reads.jsonable(replayed.benchmarks) if replayed else [],
        verify=reads.jsonable(await reads.verify(store, plan_id)),
        audit=list(reversed(entries)),
    )
