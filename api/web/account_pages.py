"""Account pages: everyone's own (sessions, tokens, second factor), the people page of
programme managers (list, invite, resend, role or country, reset the second factor,
deactivate, reactivate, each with its reason) and the security record for auditors.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError

from api import security_log
from api.administration import InviteUser, UserCommand, administer, invite
from api.context import ApiContext, client_address
from api.errors import ApiError
from api.language import request_language
from api.people import find_person, list_people
from api.sessions import list_sessions
from api.sso_accounts import linked_subject
from api.tokens import SCOPES, allowed_scopes, issue_token, list_tokens, revoke_token
from api.web.actions import invalid_form
from api.web.notices import ERROR_TITLES, error_view
from api.web.render import render, translate
from api.web.session import Session, current_session, form_session
from domain import Role
from domain.roles import COUNTRY_SCOPED_ROLES
from locales.catalogs import N_

router = APIRouter(include_in_schema=False)
SECURITY_READERS = frozenset({Role.AUDITOR, Role.PROGRAMME_MANAGER})
_user_command: TypeAdapter[UserCommand] = TypeAdapter(UserCommand)


def _context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


async def _account(
    request: Request, session: Session, *, status: int = 200, **extra: object
) -> HTMLResponse:
    context = _context(request)
    person = await find_person(context.pool, session.actor.name)
    current = session.live.id_hash if session.live else ""
    return render(
        request,
        "account.html",
        status=status,
        session=session,
        nav="account",
        person=person,
        sessions=await list_sessions(context.pool, session.actor.name, current),
        tokens=await list_tokens(context.pool, session.actor.name),
        scopes=allowed_scopes(session.actor.role),
        now=datetime.now(UTC),
        sso_name=context.accounts.sso.display_name if context.accounts.sso else None,
        sso_linked=await linked_subject(context.pool, session.actor.name),
        **extra,
    )


@router.get("/ui/account", response_class=HTMLResponse)
async def account_page(request: Request) -> HTMLResponse:
    return await _account(request, await current_session(request))


@router.post("/ui/account/tokens", response_class=HTMLResponse)
async def create_token(request: Request) -> HTMLResponse:
    session, data = await form_session(request)
    form = await request.form()
    scopes = [str(s) for s in form.getlist("scopes") if str(s) in SCOPES]
    context = _context(request)
    person = await find_person(context.pool, session.actor.name)
    assert person is not None
    try:
        days = int(data.get("days", "90"))
        token, info = await issue_token(
            context.pool, context.store, person, data.get("label", ""), scopes, days, session.actor
        )
    except ValueError:
        return await _account(
            request,
            session,
            status=422,
            error={
                "title": translate(request, ERROR_TITLES[422]),
                "message": translate(request, N_("The lifetime is a number of days.")),
            },
        )
    except ApiError as error:
        return await _account(request, session, status=error.status, error=_shown(request, error))
    return await _account(request, session, new_token=token, new_token_info=info)


def _shown(request: Request, error: ApiError) -> dict[str, Any]:
    """A refusal in the reader's language (the rule stays its code)."""
    return error_view(request, error, default_title=ERROR_TITLES[409])


@router.post("/ui/account/tokens/{token_id}/revoke")
async def revoke_own_token(request: Request, token_id: uuid.UUID) -> Response:
    session, _ = await form_session(request)
    context = _context(request)
    person = await find_person(context.pool, session.actor.name)
    assert person is not None
    try:
        await revoke_token(context.pool, context.store, person, token_id, session.actor)
    except ApiError as error:
        return await _account(request, session, status=error.status, error=_shown(request, error))
    return RedirectResponse("/ui/account?done=revoked", status_code=303)


def _require_manager(session: Session) -> None:
    if session.actor.role is not Role.PROGRAMME_MANAGER:
        raise ApiError(
            403, "forbidden", "Only a programme manager administers people.", rule="not_permitted"
        )


async def _people(
    request: Request, session: Session, *, status: int = 200, **extra: object
) -> HTMLResponse:
    context = _context(request)
    people = await list_people(context.pool)
    tokens = {p.name: await list_tokens(context.pool, p.name) for p in people}
    return render(
        request,
        "users.html",
        status=status,
        session=session,
        nav="users",
        people=people,
        tokens=tokens,
        roles=[r for r in Role if r is not Role.SYSTEM],
        country_roles=sorted(r.value for r in COUNTRY_SCOPED_ROLES),
        now=datetime.now(UTC),
        **extra,
    )


@router.get("/ui/users", response_class=HTMLResponse)
async def users_page(request: Request, done: str = "") -> HTMLResponse:
    session = await current_session(request)
    try:
        _require_manager(session)
    except ApiError as error:
        return render(
            request, "error.html", status=403, session=session, error=_shown(request, error)
        )
    notice = {"invite_user": N_("The invitation is sent.")}.get(done, N_("Done.") if done else None)
    notice = translate(request, notice) if notice else None
    return await _people(request, session, notice=notice)


async def _people_refused(
    request: Request, session: Session, failure: ValidationError | ApiError
) -> Response:
    """The people page again, saying why a form was refused (in the reader's words)."""
    if isinstance(failure, ApiError):
        return await _people(
            request, session, status=failure.status, error=_shown(request, failure)
        )
    message = invalid_form(failure, request_language(request)).message
    return await _people(
        request,
        session,
        status=422,
        error={"title": translate(request, ERROR_TITLES[422]), "message": message},
    )


@router.post("/ui/users", response_class=HTMLResponse)
async def invite_person(request: Request) -> Response:
    session, data = await form_session(request)
    context = _context(request)
    fields = {k: v for k, v in data.items() if k != "csrf_token" and v.strip()}
    try:
        command = InviteUser.model_validate(fields)
        await invite(context.pool, context.store, context.mailer, command, session.actor)
    except (ValidationError, ApiError) as failure:
        return await _people_refused(request, session, failure)
    return RedirectResponse("/ui/users?done=invite_user", status_code=303)


@router.post("/ui/users/{name}/commands", response_class=HTMLResponse)
async def administer_person(request: Request, name: str) -> Response:
    session, data = await form_session(request)
    context = _context(request)
    fields = {k: v for k, v in data.items() if k != "csrf_token" and v.strip()}
    try:
        command = _user_command.validate_python(fields)
        await administer(
            context.pool,
            context.store,
            context.mailer,
            name,
            command,
            session.actor,
            address=client_address(request),
        )
    except (ValidationError, ApiError) as failure:
        return await _people_refused(request, session, failure)
    return RedirectResponse(f"/ui/users?done={fields.get('type', '')}", status_code=303)


@router.post("/ui/users/{name}/tokens/{token_id}/revoke")
async def revoke_someones_token(request: Request, name: str, token_id: uuid.UUID) -> Response:
    session, _ = await form_session(request)
    context = _context(request)
    try:
        _require_manager(session)
        person = await find_person(context.pool, name)
        if person is None:
            raise ApiError(404, "not_found", f"There is no person named {name}.")
        await revoke_token(context.pool, context.store, person, token_id, session.actor)
    except ApiError as error:
        return await _people(request, session, status=error.status, error=_shown(request, error))
    return RedirectResponse("/ui/users?done=token_revoked", status_code=303)


@router.get("/ui/security", response_class=HTMLResponse)
async def security_page(request: Request, day: str = "") -> HTMLResponse:
    session = await current_session(request)
    if session.actor.role not in SECURITY_READERS:
        error = {
            "title": translate(request, ERROR_TITLES[403]),
            "rule": "not_permitted",
            "message": translate(
                request, N_("The security record is for auditors and programme managers.")
            ),
        }
        return render(request, "error.html", status=403, session=session, error=error)
    try:
        wanted = date.fromisoformat(day) if day else datetime.now(UTC).date()
    except ValueError:
        error = {
            "title": translate(request, N_("Check the date")),
            "message": translate(request, N_("Give a date as 2026-12-01.")),
        }
        return render(request, "error.html", status=422, session=session, error=error)
    events = await security_log.events_of_day(_context(request).store, wanted)
    return render(
        request, "security.html", session=session, nav="security", day=wanted, events=events
    )
