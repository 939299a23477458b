"""Dashboard form posts: log in, log out, open a plan, send a command.

A command form goes through api.dispatch like any API call: the workflow's domain decide()
refuses what the user's role, country or the plan's phase does not allow, and the refusal
is shown on the page in words. Success redirects (303) so a reload never resends.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api import reads
from api.bounds import PlanId
from api.context import COOKIE_NAME, ApiContext
from api.errors import ApiError, validation_details
from api.language import request_language
from api.scope import require_visible
from api.users import actor_for_token
from api.web.forms import command_fields
from api.web.pages import error_page, error_view, plan_page_context
from api.web.render import render
from api.web.session import (
    SESSION_SECONDS,
    CsrfError,
    form_session,
    is_secure,
    safe_next,
)
from contracts.temporal import CommandResult
from domain import OpenPlan, parse_command
from locales.catalogs import N_, gettext_in
from locales.terms import field_label

REFUSED = N_("Refused")

router = APIRouter(include_in_schema=False)


def _context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


@router.get("/ui/login", response_class=HTMLResponse)
async def login_page(
    request: Request, next: Annotated[str, Query(max_length=2000)] = ""
) -> HTMLResponse:
    return render(request, "login.html", session=None, next=safe_next(next))


def same_origin(request: Request) -> bool:
    """Login has no session to derive a form token from; a browser's Origin header tells
    whether the form was posted from our own page (no header: not a browser, allowed)."""
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.url.netloc


@router.post("/ui/login")
async def login(request: Request) -> Response:
    if not same_origin(request):
        raise CsrfError
    form = await request.form()
    token = str(form.get("token", "")).strip()
    target = safe_next(str(form.get("next", "")))
    actor = await actor_for_token(_context(request).pool, token) if token else None
    if actor is None:
        return render(
            request,
            "login.html",
            status=401,
            session=None,
            next=target,
            error={
                "title": gettext_in(request_language(request), "Not logged in"),
                "message": gettext_in(
                    request_language(request), "That token is unknown or revoked."
                ),
            },
        )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=is_secure(request),
        path="/",
    )
    return response


@router.post("/ui/logout")
async def logout(request: Request) -> Response:
    await form_session(request)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response


def _invalid(error: ValidationError, language: str) -> ApiError:
    """The form's mistakes, each field by its label in the reader's language (pydantic's
    explanation after it is English)."""
    details = validation_details([dict(e) for e in error.errors()])
    text = "; ".join(f"{field_label(d['field'], language)}: {d['message']}" for d in details[:5])
    return ApiError(422, "invalid_request", text)


async def _send(request: Request, plan_id: str, fields: dict[str, Any]) -> CommandResult:
    session = request.state.session
    command = parse_command(fields)
    context = _context(request)
    result = await context.send(plan_id, command, session.actor)
    if result.events:
        await reads.wait_for_projection(context.pool, result.events[-1].global_position)
    return result


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
        return error_page(request, session, _invalid(error, request_language(request)))
    except ApiError as error:
        return error_page(request, session, error)
    return RedirectResponse(f"/ui/plans/{result.plan_id}?done=open_plan", status_code=303)


@router.post("/ui/plans/{plan_id}/commands")
async def send_command(request: Request, plan_id: PlanId) -> Response:
    session, data = await form_session(request)
    request.state.session = session
    fields = command_fields(data)
    try:
        require_visible(session.actor, plan_id)
        await _send(request, plan_id, fields)
    except (ValidationError, ApiError) as failure:
        error = (
            _invalid(failure, request_language(request))
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
