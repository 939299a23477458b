"""The language switcher every page carries: POST /ui/language.

Before sign-in the choice lives in a cookie (so the login page itself can be read); once
signed in it is also saved on the person's account, so it follows them to another browser
and their e-mails are written in it (api.language explains the order of choices).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.context import COOKIE_NAME, ApiContext, csrf_matches
from api.language import LANGUAGE_COOKIE
from api.users import account_for_session, set_language
from api.web.session import CsrfError, is_secure, safe_next
from api.web.signin_pages import same_origin
from locales.catalogs import normalize

router = APIRouter(include_in_schema=False)

LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


@router.post("/ui/language")
async def choose_language(request: Request) -> Response:
    if not same_origin(request):
        raise CsrfError
    form = await request.form()
    language = normalize(str(form.get("language", "")))
    back = safe_next(str(form.get("next", "")))
    response = RedirectResponse(back, status_code=303)
    if language is None:
        return response
    token = request.cookies.get(COOKIE_NAME)
    if token:
        context: ApiContext = request.app.state.context
        account = await account_for_session(context.pool, token)
        if account is not None:
            # Changing an account needs the form token, as every signed-in POST does.
            if not csrf_matches(token, str(form.get("csrf_token", ""))):
                raise CsrfError
            await set_language(context.pool, account[0].name, language)
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=LANGUAGE_COOKIE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=is_secure(request),
        path="/",
    )
    return response
