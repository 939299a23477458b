"""Who a sign-in through the OpenID provider is here, and how long it lasts.

- An account is linked to the provider's subject by ``user_linked`` on its stream (issuer
  and subject: nothing secret). A linked, active person signs in through the provider.
- A subject linked to no account is refused with one sentence that names no account. The
  one exception, on by default: an *invited* account (never an active one) whose invitation
  went to the address the provider vouches for (``email_verified``) is linked and activated
  at that first sign-in; the programme manager's invitation is the consent, the provider's
  verified address the proof.
- A signed-in person links their own account from the account page (purpose ``link``).
- A session begun through the provider asks it again, every ``recheck_every`` of activity,
  whether the person is still there (api/sso.py ``still_there``); when the provider says no,
  the session ends at that request, and the security record says why.
"""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from api import security_log
from api.credentials import hash_secret
from api.people import Person, find_person, record
from api.sessions import ENDED, LiveSession, start_session
from api.sso import Identity, Pending, SsoRefusedError, SsoSettings, still_there
from domain import Actor
from eventstore import EventStore
from locales.catalogs import N_

NOT_LINKED = N_(
    "No active account here is linked to this sign-in. Ask a programme manager for an"
    " invitation, or sign in with your password and link it on your account page."
)


def _actor(person: Person) -> Actor:
    return Actor(name=person.name, role=person.role, country=person.country, donor=person.donor)


async def _linked_name(pool: asyncpg.Pool, identity: Identity) -> str | None:
    name: str | None = await pool.fetchval(
        "SELECT name FROM users WHERE sso_issuer = $1 AND sso_subject = $2",
        identity.issuer,
        identity.subject,
    )
    return name


async def linked_subject(pool: asyncpg.Pool, name: str) -> str | None:
    """The provider's subject this account is linked to (None: not linked)."""
    subject: str | None = await pool.fetchval("SELECT sso_subject FROM users WHERE name = $1", name)
    return subject


async def _link(
    pool: asyncpg.Pool,
    store: EventStore,
    person: Person,
    identity: Identity,
    extra: list[str],
    reason: str,
) -> Person:
    events: list[tuple[str, dict[str, object]]] = [
        ("user_linked", {"issuer": identity.issuer, "subject": identity.subject})
    ]
    if "activate" in extra:
        events.append(("user_activated", {"method": "sso"}))
    await record(pool, store, person.name, person.version, events, _actor(person), reason=reason)
    linked = await find_person(pool, person.name)
    assert linked is not None
    return linked


async def person_for(
    pool: asyncpg.Pool,
    store: EventStore,
    settings: SsoSettings,
    identity: Identity,
    pending: Pending,
) -> Person:
    """The active person this identity signs in as (linking them first where that is the
    purpose, or where an invitation to the verified address is waiting)."""
    linked = await _linked_name(pool, identity)
    if pending.purpose == "link":
        person = await find_person(pool, pending.link_name or "")
        if person is None or person.status != "active":
            raise SsoRefusedError(NOT_LINKED, "link: account not active", 403)
        if linked is not None and linked != person.name:
            raise SsoRefusedError(
                N_("This sign-in is already linked to another account here."), "link: taken", 409
            )
        if linked == person.name:
            return person
        return await _link(pool, store, person, identity, [], f"linked to {settings.display_name}")
    if linked is not None:
        person = await find_person(pool, linked)
        if person is None or person.status != "active":
            raise SsoRefusedError(NOT_LINKED, "account not active", 403)
        return person
    if settings.link_invited_by_email and identity.email and identity.email_verified:
        name = await pool.fetchval(
            "SELECT name FROM users WHERE lower(email) = lower($1) AND status = 'invited'"
            " AND sso_subject IS NULL",
            identity.email,
        )
        invited = await find_person(pool, name) if name else None
        if invited is not None:
            reason = f"first sign-in through {settings.display_name}, invited at this address"
            return await _link(pool, store, invited, identity, ["activate"], reason)
    raise SsoRefusedError(NOT_LINKED, "unknown subject", 403)


async def start_sso_session(
    pool: asyncpg.Pool,
    store: EventStore,
    person: Person,
    identity: Identity,
    address: str,
    user_agent: str,
) -> str:
    """A dashboard session for a sign-in through the provider, holding (server side) what
    it needs to ask the provider again later. No second factor is counted as proven here:
    an approval asks for the person's own TOTP code (docs/security.md)."""
    session_id = await start_session(pool, person.name, address, user_agent, second_factor=False)
    await pool.execute(
        "UPDATE sessions SET sso_refresh_token = $2, sso_access_token = $3,"
        " sso_checked_at = now() WHERE id_hash = $1",
        hash_secret(session_id),
        identity.refresh_token,
        identity.access_token,
    )
    await security_log.note(
        store,
        "sign_in_succeeded",
        address=address,
        account=person.name,
        via="sso",
        provider=identity.issuer,
        amr=identity.amr,
    )
    return session_id


async def still_allowed(
    pool: asyncpg.Pool,
    store: EventStore,
    settings: SsoSettings | None,
    live: LiveSession,
    address: str,
) -> bool:
    """Whether a live session may go on: sessions not begun through the provider always
    may; one that was asks the provider again when its last check is older than
    ``recheck_every`` (one request at a time per session: the row is locked, so a rotated
    refresh token is never spent twice), and ends when the provider says no."""
    if live.sso_checked_at is None:
        return True
    now = datetime.now(UTC)
    if settings is not None and now - live.sso_checked_at < settings.recheck_every:
        return True
    why = "single sign-on is no longer configured"
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT s.sso_refresh_token, s.sso_access_token, s.sso_checked_at, u.sso_subject"
            " FROM sessions s JOIN users u ON u.name = s.name"
            " WHERE s.id_hash = $1 AND s.ended_at IS NULL FOR UPDATE OF s",
            live.id_hash,
        )
        if row is None:
            return False
        if settings is not None and now - row["sso_checked_at"] < settings.recheck_every:
            return True  # another request of this session has just asked
        allowed = False
        if settings is not None and row["sso_subject"] is not None:
            allowed, refresh, access, why = await still_there(
                settings, row["sso_subject"], row["sso_refresh_token"], row["sso_access_token"]
            )
        if allowed:
            await conn.execute(
                "UPDATE sessions SET sso_refresh_token = coalesce($2, sso_refresh_token),"
                " sso_access_token = $3, sso_checked_at = now() WHERE id_hash = $1",
                live.id_hash,
                refresh,
                access,
            )
            return True
        await conn.execute(
            f"UPDATE sessions SET {ENDED} WHERE id_hash = $1",
            live.id_hash,
        )
    await security_log.note(
        store, "sso_access_ended", address=address, account=live.actor.name, why=why
    )
    return False
