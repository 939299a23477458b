"""Users and their bearer tokens. Only a SHA-256 hash of a token is ever stored."""

from __future__ import annotations

import hashlib
import secrets

import asyncpg
from pydantic import BaseModel

from domain import Actor, Role
from locales.catalogs import LANGUAGES, normalize

TOKEN_BYTES = 32
# Roles whose scope is every country (DOMAIN.md): a country given for them would be
# stored and shown but never honoured, so it is refused.
ALL_COUNTRY_ROLES = frozenset({Role.PROGRAMME_MANAGER, Role.AUDITOR})


class UserRecord(BaseModel):
    name: str
    role: Role
    country: str | None
    email: str | None
    # None: the deployment's default language (ACIP_DEFAULT_LANGUAGE).
    language: str | None = None
    revoked: bool


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "acip_" + secrets.token_urlsafe(TOKEN_BYTES)


class UserError(ValueError):
    """A user could not be created or changed; the message says why."""


def checked_language(language: str | None) -> str | None:
    """A language we have catalogs for (``fr``, ``pt-BR`` -> ``pt``), or None for "the
    deployment's default"; anything else is refused with the list of languages."""
    if language is None or language.strip() == "":
        return None
    code = normalize(language)
    if code is None:
        raise UserError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return code


async def add_user(
    pool: asyncpg.Pool,
    name: str,
    role: Role,
    country: str | None,
    email: str | None,
    language: str | None = None,
) -> str:
    """Create a user and return its token (shown once, never stored in clear)."""
    language = checked_language(language)
    if role == Role.SYSTEM:
        raise UserError("the system role cannot be given to a user")
    if role in (Role.FOCAL_POINT, Role.HEAD_OF_ADMINISTRATION) and not country:
        raise UserError(f"a {role.value} needs --country (ISO 3166-1 alpha-3, e.g. GHA)")
    if role in ALL_COUNTRY_ROLES and country:
        raise UserError(f"a {role.value} acts on all countries: give no --country")
    token = new_token()
    try:
        await pool.execute(
            "INSERT INTO users (name, role, country, email, token_hash, language) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            name,
            role.value,
            country,
            email,
            hash_token(token),
            language,
        )
    except asyncpg.UniqueViolationError:
        raise UserError(f"a user named {name!r} already exists") from None
    except asyncpg.CheckViolationError:
        raise UserError(
            "name must be letters, digits, '_', '.', '@' or '-' (at most 64); "
            "country must be three capital letters"
        ) from None
    return token


async def rotate_token(pool: asyncpg.Pool, name: str) -> str:
    """A new token for an active user; a revoked user stays revoked (see reactivate_user)."""
    token = new_token()
    status = await pool.execute(
        "UPDATE users SET token_hash = $2 WHERE name = $1 AND revoked_at IS NULL",
        name,
        hash_token(token),
    )
    if status.endswith(" 0"):
        await _refuse_missing_or_revoked(pool, name)
    return token


async def reactivate_user(pool: asyncpg.Pool, name: str) -> str:
    """Give a revoked user access again, with a new token (the revoked one stays dead)."""
    token = new_token()
    status = await pool.execute(
        "UPDATE users SET token_hash = $2, revoked_at = NULL "
        "WHERE name = $1 AND revoked_at IS NOT NULL",
        name,
        hash_token(token),
    )
    if status.endswith(" 0"):
        if await _exists(pool, name):
            raise UserError(f"{name!r} is active; `acip users token {name}` issues a new token")
        raise UserError(f"no user named {name!r}")
    return token


async def _exists(pool: asyncpg.Pool, name: str) -> bool:
    return bool(await pool.fetchval("SELECT EXISTS (SELECT 1 FROM users WHERE name = $1)", name))


async def _refuse_missing_or_revoked(pool: asyncpg.Pool, name: str) -> None:
    if await _exists(pool, name):
        raise UserError(
            f"{name!r} is revoked; `acip users reactivate {name}` gives them access again"
        )
    raise UserError(f"no user named {name!r}")


async def set_language(pool: asyncpg.Pool, name: str, language: str | None) -> str | None:
    """Set (or, with None, clear back to the deployment default) a person's language."""
    code = checked_language(language)
    status = await pool.execute("UPDATE users SET language = $2 WHERE name = $1", name, code)
    if status.endswith(" 0"):
        raise UserError(f"no user named {name!r}")
    return code


async def revoke_user(pool: asyncpg.Pool, name: str) -> None:
    status = await pool.execute(
        "UPDATE users SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", name
    )
    if status.endswith(" 0"):
        raise UserError(f"no active user named {name!r}")


async def list_users(pool: asyncpg.Pool) -> list[UserRecord]:
    rows = await pool.fetch(
        "SELECT name, role, country, email, language, revoked_at IS NOT NULL AS revoked "
        "FROM users ORDER BY name"
    )
    return [UserRecord(**dict(row)) for row in rows]


async def account_for_token(pool: asyncpg.Pool, token: str) -> tuple[Actor, str | None] | None:
    """The actor a token stands for, and the language the person chose (None: not chosen)."""
    # The lookup is by hash: an attacker who does not know a token learns nothing from timing.
    row = await pool.fetchrow(
        "SELECT name, role, country, language FROM users "
        "WHERE token_hash = $1 AND revoked_at IS NULL",
        hash_token(token),
    )
    if row is None:
        return None
    actor = Actor(name=row["name"], role=Role(row["role"]), country=row["country"])
    return actor, row["language"]


async def actor_for_token(pool: asyncpg.Pool, token: str) -> Actor | None:
    account = await account_for_token(pool, token)
    return account[0] if account else None
