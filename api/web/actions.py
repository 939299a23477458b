"""Dashboard form posts: open a plan, send a command (sign-in is api/web/signin_pages.py).

A command form goes through api.dispatch like any API call: the workflow's domain decide()
refuses what the user's role, country or the plan's phase does not allow, and the refusal
is shown on the page in words. Success redirects (303) so a reload never resends.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api import reads
from api.bounds import PlanId
from api.context import ApiContext
from api.credentials import check_second_factor
from api.errors import ApiError, validation_details
from api.language import request_language
from api.scope import require_visible
from api.sessions import confirm_second_factor
from api.web.forms import command_fields
from api.web.notices import error_page, error_view
from api.web.pages import plan_page_context
from api.web.render import render
from api.web.session import Session, form_session
from contracts.temporal import CommandResult
from domain import COMMAND_ROLES, OpenPlan, parse_command
from locales.catalogs import N_
from locales.terms import field_label

REFUSED = N_("Refused")

router = APIRouter(include_in_schema=False)


def _context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


def invalid_form(error: ValidationError, language: str) -> ApiError:
    """The form's mistakes, each field by its label in the reader's language (pydantic's
    explanation after it is English)."""
    details = validation_details([dict(e) for e in error.errors()])
    text = "; ".join(f"{field_label(d['field'], language)}: {d['message']}" for d in details[:5])
    return ApiError(422, "invalid_request", text)


async def _send(
    request: Request, plan_id: str, fields: dict[str, Any], code: str = ""
) -> CommandResult:
    session = request.state.session
    command = parse_command(fields)
    context = _context(request)
    confirmed_by = None
    if command.type == "approve_plan" and session.actor.role in COMMAND_ROLES[command.type]:
        # Only for someone who may approve at all; for others the domain's refusal says why.
        confirmed_by = await confirm_approval(context, session, code)
    result = await context.send(plan_id, command, session.actor, confirmed_by=confirmed_by)
    if result.events:
        await reads.wait_for_projection(context.pool, result.events[-1].global_position)
    return result


async def confirm_approval(context: ApiContext, session: Session, code: str) -> str:
    """An approval in the dashboard is bound to the person, not to an open tab: it needs
    the second factor proven within the last 5 minutes (the code typed in the approval
    form does). Where no second factor is asked for (the demo's waiver, a session begun
    with an access token that carries the approve scope), that is what the event says."""
    live = session.live
    assert live is not None
    if live.second_factor_is_fresh():
        return "totp"
    if live.enrolled:
        if code and await check_second_factor(context.pool, session.actor.name, code):
            await confirm_second_factor(context.pool, live.id_hash)
            return "totp"
        raise ApiError(
            403,
            "forbidden",
            "Approving needs a fresh code from your authenticator (the code was missing, "
            "wrong or already used).",
            rule="fresh_second_factor_required",
        )
    if live.token_scopes is not None and "approve" in live.token_scopes:
        return "token_scope"
    if context.accounts.demo_waives_second_factor:
        return "demo_waiver"
    raise ApiError(
        403,
        "forbidden",
        "Approving needs a second factor: enrol one on your account page first.",
        rule="second_factor_not_enrolled",
    )


@router.post("/ui/plans")
async def open_plan(request: Request) -> Response:
    session, data = await form_session(request)
    request.state.session = session
    fields = command_fields({**data, "type": "open_plan"})
    fields["country"] = str(fields.get("country", "")).strip().upper()
    try:
        command = parse_command(fields)
        assert isinstance(command, OpenPlan)
        result = await _send(request, command.plan_id, fields)
    except ValidationError as error:
        return error_page(request, session, invalid_form(error, request_language(request)))
    except ApiError as error:
        return error_page(request, session, error)
    return RedirectResponse(f"/ui/plans/{result.plan_id}?done=open_plan", status_code=303)


@router.post("/ui/plans/{plan_id}/commands")
async def send_command(request: Request, plan_id: PlanId) -> Response:
    session, data = await form_session(request)
    request.state.session = session
    code = data.pop("code", "")
    fields = command_fields(data)
    try:
        require_visible(session.actor, plan_id)
        await _send(request, plan_id, fields, code)
    except (ValidationError, ApiError) as failure:
        error = (
            invalid_form(failure, request_language(request))
            if isinstance(failure, ValidationError)
            else failure
        )
        return await _refused(request, plan_id, error)
    anchor = "#h-milestones" if "milestone_id" in fields else ""
    done = fields.get("type", "")
    return RedirectResponse(f"/ui/plans/{plan_id}?done={done}{anchor}", status_code=303)


async def _refused(request: Request, plan_id: str, error: ApiError) -> HTMLResponse:
    """The plan page again, with the refusal at the top in words."""
    session = request.state.session
    try:
        context = await plan_page_context(request, session, plan_id)
    except ApiError as missing:
        return error_page(request, session, missing)
    context["error"] = error_view(request, error, default_title=REFUSED)
    return render(request, "plan.html", status=error.status, **context)
