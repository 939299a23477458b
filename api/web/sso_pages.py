"""Single sign-on pages: "Sign in with <provider>" sends the browser to the provider, the
provider sends it back to /ui/sso/callback, and a signed-in person links their account
from the account page (api/sso.py, api/sso_accounts.py, docs/security.md).

The browser that began a sign-in holds a random value in a short-lived cookie scoped to
/ui/sso; the callback is accepted only from that browser. That cookie is SameSite=Lax (the
provider's redirect back is a cross-site navigation, which a Strict cookie would not ride
on); the session cookie stays Strict, so the callback answers with a page of ours that
moves on, rather than a redirect the browser would still count as cross-site.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import security_log
from api.context import ApiContext, client_address
from api.language import request_language
from api.sso import CALLBACK_PATH, SsoRefusedError, SsoSettings, begin, finish
from api.sso_accounts import person_for, start_sso_session
from api.web.render import render
from api.web.session import form_session, is_secure, safe_next, set_session_cookie
from locales.catalogs import N_, gettext_in

router = APIRouter(include_in_schema=False)
BROWSER_COOKIE = "acip_sso"
BROWSER_COOKIE_PATH = "/ui/sso"


def _context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


def _redirect_uri(context: ApiContext) -> str:
    return context.accounts.public_url.rstrip("/") + CALLBACK_PATH


def _refusal(request: Request, message: str, status: int) -> HTMLResponse:
    language = request_language(request)
    response = render(
        request,
        "error.html",
        status=status,
        session=None,
        error={
            "title": gettext_in(language, "Not signed in"),
            "message": gettext_in(language, message),
            "rule": None,
        },
        back="/ui/login",
    )
    response.delete_cookie(BROWSER_COOKIE, path=BROWSER_COOKIE_PATH)
    return response


def _not_offered(request: Request) -> HTMLResponse:
    return _refusal(request, N_("Single sign-on is not set up here."), 404)


async def _to_provider(
    request: Request, settings: SsoSettings, target: str, link_name: str | None
) -> Response:
    context = _context(request)
    try:
        url, browser = await begin(
            context.pool, settings, _redirect_uri(context), target, link_name=link_name
        )
    except SsoRefusedError as refused:
        return _refusal(request, refused.message, refused.status)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        BROWSER_COOKIE,
        browser,
        max_age=600,
        httponly=True,
        samesite="lax",
        secure=is_secure(request),
        path=BROWSER_COOKIE_PATH,
    )
    return response


@router.get("/ui/sso/start")
async def sso_start(
    request: Request, next: Annotated[str, Query(max_length=2000)] = ""
) -> Response:
    settings = _context(request).accounts.sso
    if settings is None:
        return _not_offered(request)
    return await _to_provider(request, settings, safe_next(next), None)


@router.post("/ui/account/sso-link")
async def sso_link(request: Request) -> Response:
    session, _ = await form_session(request)
    settings = _context(request).accounts.sso
    if settings is None:
        return _not_offered(request)
    return await _to_provider(request, settings, "/ui/account", session.actor.name)


@router.get(CALLBACK_PATH)
async def sso_callback(request: Request) -> Response:
    context = _context(request)
    settings = context.accounts.sso
    if settings is None:
        return _not_offered(request)
    query = {key: value[:4000] for key, value in request.query_params.items()}
    address = client_address(request)
    try:
        identity, pending = await finish(
            context.pool,
            settings,
            _redirect_uri(context),
            query,
            request.cookies.get(BROWSER_COOKIE, ""),
        )
        person = await person_for(context.pool, context.store, settings, identity, pending)
    except SsoRefusedError as refused:
        await security_log.note(
            context.store, "sign_in_failed", address=address, via="sso", why=refused.why
        )
        return _refusal(request, refused.message, refused.status)
    agent = request.headers.get("user-agent", "")
    session_id = await start_sso_session(
        context.pool, context.store, person, identity, address, agent
    )
    target = safe_next(pending.next_path)
    response = render(request, "continue.html", session=None, target=target)
    set_session_cookie(request, response, session_id)
    response.delete_cookie(BROWSER_COOKIE, path=BROWSER_COOKIE_PATH)
    return response
