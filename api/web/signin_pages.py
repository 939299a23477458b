"""Sign-in pages: sign in (password and code, or an access token where allowed), sign out
(here or everywhere), the one-time link of an invitation or a password reset, asking for a
reset, and enrolling a second factor.

A refusal never says whether an account exists: one sentence for every wrong account,
password or code, and the reset form answers the same for any address.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import credentials, security_log
from api.context import COOKIE_NAME, ApiContext, client_address
from api.invitations import inspect_link, send_password_reset
from api.language import request_language
from api.people import find_by_login, find_person, requires_second_factor
from api.sessions import end_all_sessions, end_session, start_session
from api.signin import (
    LINK_NOT_VALID,
    SignInRefusedError,
    accept_link,
    enrol_second_factor,
    sign_in,
)
from api.tokens import authenticate_token
from api.web.notices import ERROR_TITLES
from api.web.render import refusal_page, render, translate
from api.web.session import (
    CsrfError,
    current_session,
    form_session,
    safe_next,
    set_session_cookie,
)
from locales.catalogs import N_, gettext_in

router = APIRouter(include_in_schema=False)
RESET_ANSWER = N_(
    "If an active account has this address, a link to choose a new password is on its way."
)


def _context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


def same_origin(request: Request) -> bool:
    """Forms without a session have no form token; a browser's Origin header tells whether
    the form was posted from our own page (no header: not a browser, allowed)."""
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.url.netloc


async def _form(request: Request) -> dict[str, str]:
    if not same_origin(request):
        raise CsrfError
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _signed_in(request: Request, session_id: str, target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, session_id)
    return response


def _login_page(request: Request, target: str, status: int = 200, **extra: object) -> HTMLResponse:
    settings = _context(request).accounts
    return render(
        request,
        "login.html",
        status=status,
        session=None,
        next=target,
        token_sign_in=settings.token_sign_in,
        sso_name=settings.sso.display_name if settings.sso else None,
        demo_waiver=settings.demo_waives_second_factor,
        **extra,
    )


@router.get("/ui/login", response_class=HTMLResponse)
async def login_page(
    request: Request, next: Annotated[str, Query(max_length=2000)] = ""
) -> HTMLResponse:
    return _login_page(request, safe_next(next))


@router.post("/ui/login")
async def login(request: Request) -> Response:
    data = await _form(request)
    target = safe_next(data.get("next"))
    context = _context(request)
    address = client_address(request)
    agent = request.headers.get("user-agent", "")
    if "token" in data and context.accounts.token_sign_in:
        use = await authenticate_token(context.pool, data["token"].strip(), address)
        if use is None:
            await security_log.note(context.store, "sign_in_failed", address=address, why="token")
            message = gettext_in(request_language(request), "That token is unknown or revoked.")
            return _refused(request, target, message, 401)
        session_id = await start_session(
            context.pool,
            use.actor.name,
            address,
            agent,
            second_factor=False,
            token_scopes=sorted(use.scopes),
        )
        await security_log.note(
            context.store,
            "sign_in_succeeded",
            address=address,
            account=use.actor.name,
            via="token",
        )
        return _signed_in(request, session_id, target)
    try:
        signed = await sign_in(
            context.pool,
            context.store,
            data.get("login", ""),
            data.get("password", ""),
            data.get("code", ""),
            address,
        )
    except SignInRefusedError as refused:
        message = refused.in_language(request_language(request))
        return _refused(request, target, message, refused.status, login=data.get("login", "")[:254])
    session_id = await start_session(
        context.pool, signed.person.name, address, agent, second_factor=signed.second_factor
    )
    return _signed_in(request, session_id, target)


def _refused(
    request: Request, target: str, message: str, status: int, login: str = ""
) -> HTMLResponse:
    # What was typed comes back, so a wrong code costs only the code (never the password).
    return _login_page(
        request,
        target,
        status=status,
        login=login,
        error={"title": gettext_in(request_language(request), "Not logged in"), "message": message},
    )


@router.post("/ui/logout")
async def logout(request: Request) -> Response:
    await form_session(request)
    await end_session(_context(request).pool, request.cookies.get(COOKIE_NAME, ""))
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response


@router.post("/ui/logout-everywhere")
async def logout_everywhere(request: Request) -> Response:
    session, _ = await form_session(request)
    ended = await end_all_sessions(_context(request).pool, session.actor.name)
    await security_log.note(
        _context(request).store,
        "signed_out_everywhere",
        address=client_address(request),
        account=session.actor.name,
        sessions=ended,
    )
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response


@router.get("/ui/welcome/{value}", response_class=HTMLResponse)
async def welcome_page(request: Request, value: str) -> HTMLResponse:
    context = _context(request)
    link = await inspect_link(context.pool, value)
    if link is None or link.problem:
        return _link_refused(request, (link and link.problem) or LINK_NOT_VALID)
    person = await find_person(context.pool, link.name)
    assert person is not None
    secret = await credentials.pending_totp_secret(context.pool, person.name)
    return _welcome(
        request, value, link.purpose, person.name, person.role.value, person.second_factor, secret
    )


def _welcome(
    request: Request,
    value: str,
    purpose: str,
    name: str,
    role: str,
    enrolled: str | None,
    secret: str,
    *,
    status: int = 200,
    error: dict[str, str] | None = None,
) -> HTMLResponse:
    uri = credentials.provisioning_uri(secret, name)
    return render(
        request,
        "welcome.html",
        status=status,
        session=None,
        value=value,
        purpose=purpose,
        account=name,
        role=role,
        enrolled=enrolled,
        secret=secret,
        qr=credentials.qr_svg(uri),
        min_length=credentials.MIN_PASSWORD_LENGTH,
        error=error,
    )


def _link_refused(request: Request, message: str) -> HTMLResponse:
    """``message``: a message id (English), written here in the reader's language."""
    return refusal_page(
        request,
        410,
        translate(request, N_("Link not usable")),
        translate(request, message) + " " + translate(request, N_("Ask for a new one.")),
    )


@router.post("/ui/welcome/{value}")
async def welcome(request: Request, value: str) -> Response:
    data = await _form(request)
    context = _context(request)
    link = await inspect_link(context.pool, value)
    person = await find_person(context.pool, link.name) if link and not link.problem else None
    if link is None or link.problem or person is None:
        return _link_refused(request, (link and link.problem) or LINK_NOT_VALID)
    # The secret the page showed, kept server side (the form never carries it).
    secret = await credentials.pending_totp_secret(context.pool, person.name)
    purpose, shown = link.purpose, person  # as narrowed here, for the closure below

    def form_again(message: str) -> Response:
        """The same form, its secret and QR code unchanged, saying what to put right."""
        error = {"title": translate(request, ERROR_TITLES[422]), "message": message}
        return _welcome(
            request,
            value,
            purpose,
            shown.name,
            shown.role.value,
            shown.second_factor,
            secret,
            status=422,
            error=error,
        )

    if data.get("password", "") != data.get("password_again", ""):
        return form_again(translate(request, N_("The two passwords differ.")))
    required = requires_second_factor(person.role, context.accounts.second_factor_for_everyone)
    try:
        accepted = await accept_link(
            context.pool,
            context.store,
            value,
            data.get("password", ""),
            secret,
            data.get("code", ""),
            second_factor_required=required,
        )
    except SignInRefusedError as refused:
        if refused.status == 410:
            return _link_refused(request, refused.template)
        return form_again(refused.in_language(request_language(request)))
    return render(
        request,
        "recovery.html",
        session=None,
        account=accepted.person.name,
        codes=accepted.recovery_codes,
    )


@router.get("/ui/password-reset", response_class=HTMLResponse)
async def reset_page(request: Request) -> HTMLResponse:
    return render(request, "reset.html", session=None)


@router.post("/ui/password-reset", response_class=HTMLResponse)
async def reset(request: Request) -> HTMLResponse:
    data = await _form(request)
    context = _context(request)
    login = data.get("email", "").strip()
    person = await find_by_login(context.pool, login) if login else None
    await security_log.note(
        context.store,
        "password_reset_requested",
        address=client_address(request),
        login=login.lower()[:64],
        account=person.name if person else None,
    )
    if person is not None and person.status == "active" and person.email:
        await send_password_reset(
            context.mailer, context.pool, person.name, person.email, person.language
        )
    return render(request, "reset.html", session=None, notice=translate(request, RESET_ANSWER))


@router.get("/ui/account/second-factor", response_class=HTMLResponse)
async def enrol_page(request: Request) -> HTMLResponse:
    session = await current_session(request)
    secret = await credentials.pending_totp_secret(_context(request).pool, session.actor.name)
    uri = credentials.provisioning_uri(secret, session.actor.name)
    return render(request, "enrol.html", session=session, secret=secret, qr=credentials.qr_svg(uri))


@router.post("/ui/account/second-factor", response_class=HTMLResponse)
async def enrol(request: Request) -> HTMLResponse:
    session, data = await form_session(request)
    context = _context(request)
    person = await find_person(context.pool, session.actor.name)
    assert person is not None
    if person.second_factor is not None:
        return refusal_page(
            request,
            409,
            translate(request, N_("Already enrolled")),
            translate(request, N_("You have a second factor; a programme manager can reset it.")),
            session=session,
            rule="second_factor_enrolled",
        )
    secret = await credentials.pending_totp_secret(context.pool, person.name)
    try:
        codes = await enrol_second_factor(
            context.pool, context.store, person, secret, data.get("code", "")
        )
    except SignInRefusedError as refused:
        uri = credentials.provisioning_uri(secret, person.name)
        return render(
            request,
            "enrol.html",
            status=422,
            session=session,
            secret=secret,
            qr=credentials.qr_svg(uri),
            error={
                "title": translate(request, N_("Check the code")),
                "message": refused.in_language(request_language(request)),
            },
        )
    if session.live is not None:
        from api.sessions import confirm_second_factor

        await confirm_second_factor(context.pool, session.live.id_hash)
    return render(request, "recovery.html", session=session, account=person.name, codes=codes)
