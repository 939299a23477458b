"""Personal access tokens: named, scoped (read, commands, approve), expiring within a year,
shown once and stored only as a SHA-256 hash. Issuing and revoking are events on the
person's stream (``token_issued``, ``token_revoked``: id, name, scopes, expiry; never the
token); the ``access_tokens`` table holds the hash the API looks tokens up by.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from api.credentials import hash_secret
from api.people import SCOPES_BY_ROLE, Person, record, refuse
from domain import Actor, Role
from eventstore import EventStore
from projections.conn import Executor

TOKEN_BYTES = 32
MAX_DAYS = 365
DEFAULT_DAYS = 90
SCOPES = ("read", "commands", "approve")
MIGRATED_TOKEN = "migrated"


@dataclass(frozen=True)
class TokenInfo:
    token_id: uuid.UUID
    name: str
    label: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def new_token() -> str:
    return "acip_" + secrets.token_urlsafe(TOKEN_BYTES)


def allowed_scopes(role: Role) -> list[str]:
    return list(SCOPES_BY_ROLE.get(role, ()))


async def issue_token(
    pool: asyncpg.Pool,
    store: EventStore,
    person: Person,
    label: str,
    scopes: list[str],
    days: int,
    actor: Actor,
) -> tuple[str, TokenInfo]:
    """A new token for ``person``; returns it in clear (the only time) with its record."""
    label = label.strip()
    if not 1 <= len(label) <= 80:
        raise refuse("invalid_token_name", "Name the token (1 to 80 characters).", 422)
    if not 1 <= days <= MAX_DAYS:
        raise refuse("token_lifetime", f"A token lives 1 to {MAX_DAYS} days.", 422, days=MAX_DAYS)
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise refuse("invalid_scope", f"Scopes are {', '.join(SCOPES)}; got {scopes}.", 422)
    beyond = sorted(set(scopes) - set(allowed_scopes(person.role)))
    if beyond:
        raise refuse(
            "scope_not_allowed",
            f"A {person.role.value} may not hold the scope(s) {', '.join(beyond)}.",
            403,
        )
    if person.status != "active":
        raise refuse("user_not_active", f"{person.name} is not active.", name=person.name)
    token, token_id = new_token(), uuid.uuid4()
    expires = datetime.now(UTC) + timedelta(days=days)
    ordered = [scope for scope in SCOPES if scope in scopes]
    await pool.execute(
        "INSERT INTO access_tokens (token_id, name, label, token_hash, scopes, expires_at) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        token_id,
        person.name,
        label,
        hash_secret(token),
        ordered,
        expires,
    )
    await record(
        pool,
        store,
        person.name,
        person.version,
        [("token_issued", _event(token_id, label, ordered, expires))],
        actor,
    )
    row = await pool.fetchrow("SELECT * FROM access_tokens WHERE token_id = $1", token_id)
    assert row is not None
    return token, _info(row)


def _event(token_id: uuid.UUID, label: str, scopes: list[str], expires: datetime) -> dict[str, Any]:
    return {
        "token_id": str(token_id),
        "label": label,
        "scopes": scopes,
        "expires_at": expires.isoformat(),
    }


async def adopt_legacy_token(pool: asyncpg.Pool, name: str, role: Role, token_hash: str) -> dict:
    """A token made before personal access tokens keeps working, now with a name, the
    scopes its role allows and a year to live; its id derives from its hash (idempotent)."""
    token_id = uuid.uuid5(uuid.NAMESPACE_OID, token_hash)
    expires = datetime.now(UTC) + timedelta(days=MAX_DAYS)
    scopes = allowed_scopes(role)
    await pool.execute(
        "INSERT INTO access_tokens (token_id, name, label, token_hash, scopes, expires_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        token_id,
        name,
        MIGRATED_TOKEN,
        token_hash,
        scopes,
        expires,
    )
    await pool.execute("UPDATE users SET token_hash = NULL WHERE name = $1", name)
    return _event(token_id, MIGRATED_TOKEN, scopes, expires)


async def revoke_token(
    pool: asyncpg.Pool, store: EventStore, person: Person, token_id: uuid.UUID, actor: Actor
) -> None:
    status = await pool.execute(
        "UPDATE access_tokens SET revoked_at = now() "
        "WHERE token_id = $1 AND name = $2 AND revoked_at IS NULL",
        token_id,
        person.name,
    )
    if status.endswith(" 0"):
        raise refuse("unknown_token", "No such live token.", 404)
    revoked = {"token_id": str(token_id)}
    await record(pool, store, person.name, person.version, [("token_revoked", revoked)], actor)


async def revoke_all(conn: Executor, name: str) -> int:
    status = await conn.execute(
        "UPDATE access_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", name
    )
    return int(status.split()[-1])


async def list_tokens(pool: asyncpg.Pool, name: str) -> list[TokenInfo]:
    rows = await pool.fetch(
        "SELECT * FROM access_tokens WHERE name = $1 ORDER BY created_at DESC", name
    )
    return [_info(row) for row in rows]


def _info(row: asyncpg.Record) -> TokenInfo:
    return TokenInfo(
        token_id=row["token_id"],
        name=row["name"],
        label=row["label"],
        scopes=list(row["scopes"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )


@dataclass(frozen=True)
class TokenUse:
    actor: Actor
    scopes: frozenset[str]
    token_id: uuid.UUID
    new_address: bool


async def authenticate_token(pool: asyncpg.Pool, token: str, address: str) -> TokenUse | None:
    """The person behind a live token of an active account; None for anything else (unknown,
    revoked, expired, deactivated: the caller cannot tell which)."""
    row = await pool.fetchrow(
        "SELECT t.token_id, t.scopes, NOT ($3 = ANY(t.addresses)) AS new_address,"
        " u.name, u.role, u.country, u.donor FROM access_tokens t JOIN users u ON u.name = t.name"
        " WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2"
        " AND u.status = 'active'",
        hash_secret(token),
        datetime.now(UTC),
        address,
    )
    if row is None:
        return None
    if row["new_address"]:
        await pool.execute(
            "UPDATE access_tokens SET addresses = addresses[1:49] || $2::text WHERE token_id = $1",
            row["token_id"],
            address,
        )
    return TokenUse(
        actor=Actor(
            name=row["name"], role=Role(row["role"]), country=row["country"], donor=row["donor"]
        ),
        scopes=frozenset(row["scopes"]),
        token_id=row["token_id"],
        new_address=bool(row["new_address"]),
    )
