"""The operator's side of people (`acip users ...`, the demo, the test harness): bootstrap a
person with a personal access token, issue another, deactivate, reactivate, list.

Everything goes through the person's stream (api/people.py) as the ``system`` actor, so the
record shows that the operator, not a programme manager, did it. Only a hash of a token is
ever stored.
"""

from __future__ import annotations

import re

import asyncpg
from pydantic import BaseModel

from api.errors import ApiError
from api.invitations import Mailer, create_link, link_url
from api.people import (
    Person,
    check_role_and_country,
    find_person,
    list_people,
    record,
)
from api.sessions import end_all_sessions, resume_session
from api.tokens import (
    MAX_DAYS,
    MIGRATED_TOKEN,
    allowed_scopes,
    authenticate_token,
    issue_token,
    list_tokens,
    revoke_all,
    revoke_token,
)
from domain import Actor, Role
from domain.commands import DONOR_PATTERN
from eventstore import EventStore
from locales.catalogs import LANGUAGES, normalize

SYSTEM = Actor(name="system", role=Role.SYSTEM, country=None)
BOOTSTRAP_TOKEN = "issued by the operator"


class UserRecord(BaseModel):
    name: str
    role: Role
    country: str | None
    email: str | None
    # None: the deployment's default language (ACIP_DEFAULT_LANGUAGE).
    language: str | None = None
    status: str
    second_factor: str | None
    revoked: bool


class UserError(ValueError):
    """A user could not be created or changed; the message says why."""


def _user_error(error: ApiError) -> UserError:
    return UserError(error.message)


def checked_language(language: str | None) -> str | None:
    """A language we have catalogs for (``fr``, ``pt-BR`` -> ``pt``), or None for "the
    deployment's default"; anything else is refused with the list of languages."""
    if language is None or language.strip() == "":
        return None
    code = normalize(language)
    if code is None:
        raise UserError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return code


async def set_language(pool: asyncpg.Pool, name: str, language: str | None) -> str | None:
    """Set (or, with None, clear back to the deployment default) a person's language: a
    preference, not a grant, so it is kept on the row and not as an event (a rebuild of the
    read model keeps it)."""
    code = checked_language(language)
    status = await pool.execute("UPDATE users SET language = $2 WHERE name = $1", name, code)
    if status.endswith(" 0"):
        raise UserError(f"no user named {name!r}")
    return code


async def add_user(
    pool: asyncpg.Pool,
    store: EventStore,
    name: str,
    role: Role,
    country: str | None,
    email: str | None,
    language: str | None = None,
    donor: str | None = None,
) -> str:
    """Create an active person and return a personal access token with every scope their
    role allows, valid a year (shown once). The person sets a password and second factor
    through a link (`acip users add` prints one) before using the dashboard."""
    language = checked_language(language)
    try:
        check_role_and_country(role, country)
    except ApiError as error:
        raise _user_error(error) from None
    from api.people import NAME_PATTERN

    if not NAME_PATTERN.match(name):
        raise UserError("name must be letters, digits, '_', '.', '@' or '-' (at most 64)")
    if await find_person(pool, name) is not None:
        raise UserError(f"a user named {name!r} already exists")
    if donor is not None and role is not Role.OBSERVER:
        raise UserError("only an observer can be scoped to a donor (--donor)")
    if donor is not None and not re.fullmatch(DONOR_PATTERN, donor):
        raise UserError(f"--donor must be a donor code such as norad, not {donor!r}")
    data: dict[str, str | None] = {"role": role.value, "country": country, "email": email}
    if donor is not None:
        data["donor"] = donor
    await record(
        pool,
        store,
        name,
        0,
        [("user_invited", data), ("user_activated", {"method": "operator"})],
        SYSTEM,
        reason="added by the operator",
    )
    if language is not None:
        await set_language(pool, name, language)
    return await rotate_token(pool, store, name)


async def rotate_token(pool: asyncpg.Pool, store: EventStore, name: str) -> str:
    """A new operator token for an active person, with every scope the role allows; the
    operator's earlier tokens stop working (the person's own tokens are theirs to keep)."""
    person = await find_person(pool, name)
    if person is None:
        raise UserError(f"no user named {name!r}")
    if person.status != "active":
        raise UserError(
            f"{name!r} is revoked; `acip users reactivate {name}` gives them access again"
        )
    for old in await list_tokens(pool, name):
        if old.revoked_at is None and old.label in (BOOTSTRAP_TOKEN, MIGRATED_TOKEN):
            await revoke_token(pool, store, person, old.token_id, SYSTEM)
            person = await find_person(pool, name) or person
    try:
        token, _ = await issue_token(
            pool, store, person, BOOTSTRAP_TOKEN, allowed_scopes(person.role), MAX_DAYS, SYSTEM
        )
    except ApiError as error:
        raise _user_error(error) from None
    return token


async def revoke_user(pool: asyncpg.Pool, store: EventStore, name: str) -> None:
    """Deactivate: effective at once, sessions and tokens included."""
    person = await find_person(pool, name)
    if person is None or person.status == "deactivated":
        raise UserError(f"no active user named {name!r}")
    await _record_by_operator(
        pool, store, person, "user_deactivated", "deactivated by the operator"
    )
    async with pool.acquire() as conn, conn.transaction():
        await end_all_sessions(conn, name)
        await revoke_all(conn, name)


async def reactivate_user(pool: asyncpg.Pool, store: EventStore, name: str) -> str:
    """Give a deactivated person access again, with a new token (the old ones stay dead)."""
    person = await find_person(pool, name)
    if person is None:
        raise UserError(f"no user named {name!r}")
    if person.status != "deactivated":
        raise UserError(f"{name!r} is active; `acip users token {name}` issues a new token")
    await _record_by_operator(
        pool, store, person, "user_reactivated", "reactivated by the operator"
    )
    return await rotate_token(pool, store, name)


async def _record_by_operator(
    pool: asyncpg.Pool, store: EventStore, person: Person, kind: str, reason: str
) -> None:
    await record(pool, store, person.name, person.version, [(kind, {})], SYSTEM, reason=reason)


async def list_users(pool: asyncpg.Pool) -> list[UserRecord]:
    return [
        UserRecord(
            name=p.name,
            role=p.role,
            country=p.country,
            email=p.email,
            language=p.language,
            status=p.status,
            second_factor=p.second_factor,
            revoked=p.status != "active",
        )
        for p in await list_people(pool)
    ]


async def setup_link(pool: asyncpg.Pool, name: str, public_url: str) -> str:
    """A one-time link (72 hours) where an operator-made person sets a password and enrols
    a second factor, for the dashboard."""
    value = await create_link(pool, name, "password_reset")
    return link_url(Mailer(public_url=public_url, smtp=None), value)


async def account_for_session(
    pool: asyncpg.Pool, session_id: str
) -> tuple[Actor, str | None] | None:
    """The person a live dashboard session stands for, and the language they chose."""
    live = await resume_session(pool, session_id)
    return None if live is None else (live.actor, live.language)


async def actor_for_token(pool: asyncpg.Pool, token: str) -> Actor | None:
    use = await authenticate_token(pool, token, "")
    return None if use is None else use.actor
