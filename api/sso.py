"""Single sign-on with OpenID Connect: the authorization code flow with PKCE (authlib's
client), the ID token checked against the provider's keys (joserfc, authlib's JOSE library):
signature from the JWKS, issuer, audience, expiry, nonce.

The protocol only; who an identity is here, and what a session does with it, is
api/sso_accounts.py. A sign-in in flight is a row of ``sso_pending`` keyed by the hash of its
``state``, bound to the browser that started it by a cookie (hashed too), spent once.
"""

from __future__ import annotations

import secrets
import time
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
from authlib.integrations.base_client import OAuthError
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from api.credentials import hash_secret
from api.signin import SignInRefusedError

with warnings.catch_warnings():
    # authlib 1.9 points its httpx users at an "httpx2" package; httpx is what it runs on.
    warnings.filterwarnings("ignore", "The httpx module is deprecated", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client
from locales.catalogs import N_

CALLBACK_PATH = "/ui/sso/callback"
# How long a person may take at the provider before the callback is refused.
PENDING_LIFETIME = timedelta(minutes=10)
# The provider's discovery document and keys are fetched again after this long.
DISCOVERY_TTL_SECONDS = 3600.0
HTTP_TIMEOUT_SECONDS = 10.0
# Never "none" or a shared-secret algorithm: the ID token is signed with the provider's key.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")


@dataclass(frozen=True)
class SsoSettings:
    """A deployment's OpenID provider (ACIP_OIDC_* settings; docs/security.md)."""

    issuer: str
    client_id: str
    client_secret: str
    # Shown on the sign-in button: "Sign in with <display_name>".
    display_name: str = "single sign-on"
    scopes: str = "openid email"
    # How often a session begun through the provider asks it again whether the person is
    # still there (a refresh-token grant, or userinfo when no refresh token was issued).
    recheck_every: timedelta = timedelta(minutes=5)
    # An invited account (never an active one) may be linked on first sign-in by the
    # provider's verified e-mail address matching the invitation's.
    link_invited_by_email: bool = True
    # Where the discovery document is, when not at the issuer's well-known address.
    discovery_url: str = ""

    @property
    def discovery(self) -> str:
        return self.discovery_url or (self.issuer.rstrip("/") + "/.well-known/openid-configuration")


class SsoRefusedError(SignInRefusedError):
    """The sign-in through the provider did not go through; ``message`` says why in words
    that name no account, ``why`` is the code for the security record."""

    def __init__(self, message: str, why: str, status: int = 400) -> None:
        super().__init__(message, status)
        self.why = why


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in, from a validated ID token."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    amr: list[str]
    refresh_token: str | None
    access_token: str | None


@dataclass(frozen=True)
class Pending:
    purpose: str  # sign_in or link
    link_name: str | None
    next_path: str


@dataclass
class _Discovered:
    metadata: dict[str, Any]
    keys: KeySet
    fetched_at: float = field(default_factory=time.monotonic)


_discovered: dict[str, _Discovered] = {}


async def _fetch_json(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as http:
        response = await http.get(url)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document


async def provider(settings: SsoSettings, *, fresh_keys: bool = False) -> _Discovered:
    """The provider's metadata and signing keys, cached for an hour (the keys fetched again
    at once when a token names a key we do not have: the provider rotated)."""
    known = _discovered.get(settings.discovery)
    stale = known is None or time.monotonic() - known.fetched_at > DISCOVERY_TTL_SECONDS
    if known is None or stale or fresh_keys:
        try:
            metadata = await _fetch_json(settings.discovery)
            if metadata.get("issuer") != settings.issuer:
                raise SsoRefusedError(
                    N_("The sign-in provider is not configured correctly."), "issuer_mismatch", 502
                )
            keys = KeySet.import_key_set(await _fetch_json(metadata["jwks_uri"]))  # type: ignore[arg-type]
        except (httpx.HTTPError, KeyError, ValueError) as failure:
            raise SsoRefusedError(
                N_("The sign-in provider cannot be reached; try again shortly."),
                f"provider_unreachable: {type(failure).__name__}",
                502,
            ) from None
        known = _Discovered(metadata=metadata, keys=keys)
        _discovered[settings.discovery] = known
    return known


def _client(settings: SsoSettings, redirect_uri: str) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scope=settings.scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=HTTP_TIMEOUT_SECONDS,
    )


async def begin(
    pool: asyncpg.Pool,
    settings: SsoSettings,
    redirect_uri: str,
    next_path: str,
    *,
    link_name: str | None = None,
) -> tuple[str, str]:
    """Start a sign-in (or, with ``link_name``, the linking of that signed-in person):
    returns the provider's authorization URL and the browser's secret for its cookie."""
    discovered = await provider(settings)
    state, nonce, browser = (secrets.token_urlsafe(32) for _ in range(3))
    verifier = secrets.token_urlsafe(64)
    async with _client(settings, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            discovered.metadata["authorization_endpoint"],
            state=state,
            nonce=nonce,
            code_verifier=verifier,
        )
    await pool.execute(
        "INSERT INTO sso_pending (state_hash, browser_hash, nonce, code_verifier, next_path,"
        " purpose, link_name) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        hash_secret(state),
        hash_secret(browser),
        nonce,
        verifier,
        next_path,
        "link" if link_name else "sign_in",
        link_name,
    )
    # Old rows of sign-ins never finished are of no use to anyone.
    await pool.execute(
        "DELETE FROM sso_pending WHERE created_at < now() - $1::interval", PENDING_LIFETIME * 6
    )
    return str(url), browser


STALE_STATE = N_("This sign-in was not started in this browser, took too long or was already used.")


async def _spend(pool: asyncpg.Pool, state: str, browser: str) -> asyncpg.Record:
    row = await pool.fetchrow(
        "UPDATE sso_pending SET spent_at = now() WHERE state_hash = $1 AND browser_hash = $2"
        " AND spent_at IS NULL AND created_at > now() - $3::interval RETURNING *",
        hash_secret(state),
        hash_secret(browser),
        PENDING_LIFETIME,
    )
    if row is None:
        raise SsoRefusedError(STALE_STATE, "state")
    return row


async def finish(
    pool: asyncpg.Pool,
    settings: SsoSettings,
    redirect_uri: str,
    query: dict[str, str],
    browser: str,
) -> tuple[Identity, Pending]:
    """The provider's redirect back: the state spent (once, by the browser that began),
    the code exchanged with the PKCE verifier, the ID token validated."""
    row = await _spend(pool, query.get("state", ""), browser)
    pending = Pending(row["purpose"], row["link_name"], row["next_path"])
    if "error" in query or not query.get("code"):
        raise SsoRefusedError(
            N_("The sign-in provider did not sign you in."), f"provider: {query.get('error')}", 401
        )
    discovered = await provider(settings)
    async with _client(settings, redirect_uri) as client:
        try:
            token = await client.fetch_token(
                discovered.metadata["token_endpoint"],
                grant_type="authorization_code",
                code=query["code"],
                code_verifier=row["code_verifier"],
            )
        except OAuthError as refused:
            raise SsoRefusedError(
                N_("The sign-in provider refused the sign-in code (used already or expired)."),
                f"code: {refused.error}",
            ) from None
        except httpx.HTTPError:
            raise SsoRefusedError(
                N_("The sign-in provider cannot be reached; try again shortly."),
                "provider_unreachable",
                502,
            ) from None
        claims = await validated_claims(settings, token.get("id_token", ""), nonce=row["nonce"])
        if "email" not in claims and "userinfo_endpoint" in discovered.metadata:
            # Many providers put the scope's claims in userinfo only (OIDC Core 5.4).
            claims = {**await _userinfo(client, discovered, str(claims["sub"])), **claims}
    identity = Identity(
        issuer=settings.issuer,
        subject=str(claims["sub"]),
        email=claims.get("email"),
        email_verified=claims.get("email_verified") is True,
        amr=[str(method) for method in claims.get("amr", [])],
        refresh_token=token.get("refresh_token"),
        access_token=token.get("access_token"),
    )
    return identity, pending


async def _userinfo(
    client: AsyncOAuth2Client, discovered: _Discovered, subject: str
) -> dict[str, Any]:
    """The e-mail claims from userinfo, when about the same subject (else none)."""
    try:
        answer = await client.get(discovered.metadata["userinfo_endpoint"])
        info = answer.json() if answer.status_code == 200 else {}
    except (httpx.HTTPError, ValueError):
        return {}
    if not isinstance(info, dict) or str(info.get("sub")) != subject:
        return {}
    return {key: info[key] for key in ("email", "email_verified") if key in info}


async def validated_claims(
    settings: SsoSettings, id_token: str, *, nonce: str | None
) -> dict[str, Any]:
    """The ID token's claims once its signature (the provider's JWKS), issuer, audience,
    expiry and, at sign-in, nonce have checked out; SsoRefusedError otherwise."""
    if not id_token:
        raise SsoRefusedError(N_("The sign-in provider sent no ID token."), "id_token_missing")
    discovered = await provider(settings)
    try:
        try:
            decoded = jwt.decode(id_token, discovered.keys, algorithms=SIGNING_ALGORITHMS)
        except ValueError:
            # A key id we do not know: the provider rotated its keys; fetch them once more.
            discovered = await provider(settings, fresh_keys=True)
            decoded = jwt.decode(id_token, discovered.keys, algorithms=SIGNING_ALGORITHMS)
        expected: dict[str, Any] = {
            "iss": {"essential": True, "value": settings.issuer},
            "sub": {"essential": True},
            "exp": {"essential": True},
        }
        if nonce is not None:
            expected["nonce"] = {"essential": True, "value": nonce}
        jwt.JWTClaimsRegistry(leeway=60, **expected).validate(decoded.claims)
    except (JoseError, ValueError) as invalid:
        raise SsoRefusedError(
            N_("The sign-in provider's answer did not check out."), f"id_token: {invalid}"
        ) from None
    claims = decoded.claims
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if settings.client_id not in audiences or (
        len(audiences) > 1 and claims.get("azp") != settings.client_id
    ):
        raise SsoRefusedError(
            N_("The sign-in provider's answer did not check out."), "id_token: audience"
        )
    return claims


async def still_there(
    settings: SsoSettings, subject: str, refresh_token: str | None, access_token: str | None
) -> tuple[bool, str | None, str | None, str]:
    """Ask the provider whether ``subject`` may still sign in: a refresh-token grant (the
    provider refuses it once the person is disabled or removed), or, when it issued no
    refresh token, userinfo with the access token. Returns whether they may, the tokens to
    keep for the next time, and why not (for the security record). An unreachable
    provider counts as no: the session ends, and signing in again needs the provider."""
    try:
        discovered = await provider(settings)
    except SsoRefusedError as failure:
        return False, None, None, failure.why
    async with _client(settings, "") as client:
        try:
            if refresh_token:
                token = await client.refresh_token(
                    discovered.metadata["token_endpoint"], refresh_token=refresh_token
                )
                if token.get("id_token"):
                    claims = await validated_claims(settings, token["id_token"], nonce=None)
                    if str(claims["sub"]) != subject:
                        return False, None, None, "refresh: another subject"
                kept = token.get("refresh_token") or refresh_token
                return True, kept, token.get("access_token"), ""
            if not access_token or "userinfo_endpoint" not in discovered.metadata:
                return False, None, None, "no refresh token"
            client.token = {"access_token": access_token, "token_type": "Bearer"}
            answer = await client.get(discovered.metadata["userinfo_endpoint"])
            if answer.status_code != 200 or str(answer.json().get("sub")) != subject:
                return False, None, None, f"userinfo: {answer.status_code}"
            return True, None, access_token, ""
        except OAuthError as refused:
            return False, None, None, f"refresh: {refused.error}"
        except SsoRefusedError as refused:
            return False, None, None, refused.why
        except httpx.HTTPError as failure:
            return False, None, None, f"provider_unreachable: {type(failure).__name__}"
