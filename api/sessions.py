"""Server-side dashboard sessions in PostgreSQL, so every API process sees a sign-out or a
deactivation at once. The browser holds only a random id (HttpOnly cookie); the table holds
its SHA-256. A session ends after 30 minutes without a request, 12 hours after sign-in
whatever happens, at sign-out, at sign-out-everywhere, and when the account is deactivated.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from api.credentials import hash_secret
from domain import Actor, Role
from projections.conn import Executor

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_LIFETIME = timedelta(hours=12)
# An approval in the dashboard needs the second factor proven this recently.
FRESH_SECOND_FACTOR = timedelta(minutes=5)
# An ended session keeps no token of the OpenID provider.
ENDED = "ended_at = now(), sso_refresh_token = NULL, sso_access_token = NULL"


@dataclass(frozen=True)
class LiveSession:
    id_hash: str
    actor: Actor
    created_at: datetime
    second_factor_at: datetime | None
    token_scopes: list[str] | None = None
    # Whether the person has a second factor enrolled (sessions of those who must have one
    # reach only the enrolment page until they do).
    enrolled: bool = False
    # The language the person chose (None: not chosen; api.language decides).
    language: str | None = None
    # Begun through the OpenID provider: when the provider last said the person may go on
    # (api/sso_accounts.py asks again); None: not a single sign-on session.
    sso_checked_at: datetime | None = None

    def second_factor_is_fresh(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        at = self.second_factor_at
        return at is not None and now - at <= FRESH_SECOND_FACTOR


async def start_session(
    pool: asyncpg.Pool,
    name: str,
    address: str,
    user_agent: str,
    *,
    second_factor: bool,
    token_scopes: list[str] | None = None,
) -> str:
    """A new session for ``name``; returns the id for the cookie (its only copy in clear)."""
    session_id = secrets.token_urlsafe(32)
    await pool.execute(
        "INSERT INTO sessions (id_hash, name, address, user_agent, second_factor_at,"
        " token_scopes) VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END, $6)",
        hash_secret(session_id),
        name,
        address,
        user_agent[:200],
        second_factor,
        token_scopes,
    )
    return session_id


async def resume_session(pool: asyncpg.Pool, session_id: str) -> LiveSession | None:
    """The live session behind a cookie, its idle clock restarted; None once it has ended
    for any reason (the caller cannot and need not tell which)."""
    now = datetime.now(UTC)
    row = await pool.fetchrow(
        "UPDATE sessions s SET last_seen_at = $2 FROM users u"
        " WHERE s.id_hash = $1 AND u.name = s.name AND u.status = 'active'"
        " AND s.ended_at IS NULL AND s.last_seen_at > $3 AND s.created_at > $4"
        " RETURNING s.id_hash, s.created_at, s.second_factor_at, s.token_scopes, u.name, u.role,"
        " u.country, u.donor, u.second_factor, u.language,"
        " s.sso_checked_at",
        hash_secret(session_id),
        now,
        now - IDLE_TIMEOUT,
        now - ABSOLUTE_LIFETIME,
    )
    if row is None:
        return None
    return LiveSession(
        id_hash=row["id_hash"],
        actor=Actor(
            name=row["name"], role=Role(row["role"]), country=row["country"], donor=row["donor"]
        ),
        created_at=row["created_at"],
        second_factor_at=row["second_factor_at"],
        token_scopes=None if row["token_scopes"] is None else list(row["token_scopes"]),
        enrolled=row["second_factor"] is not None,
        language=row["language"],
        sso_checked_at=row["sso_checked_at"],
    )


async def confirm_second_factor(pool: asyncpg.Pool, id_hash: str) -> None:
    await pool.execute("UPDATE sessions SET second_factor_at = now() WHERE id_hash = $1", id_hash)


async def end_session(pool: asyncpg.Pool, session_id: str) -> None:
    await pool.execute(
        f"UPDATE sessions SET {ENDED} WHERE id_hash = $1 AND ended_at IS NULL",
        hash_secret(session_id),
    )


async def end_all_sessions(conn: Executor, name: str) -> int:
    status = await conn.execute(
        f"UPDATE sessions SET {ENDED} WHERE name = $1 AND ended_at IS NULL", name
    )
    return int(status.split()[-1])


@dataclass(frozen=True)
class SessionInfo:
    created_at: datetime
    last_seen_at: datetime
    address: str
    user_agent: str
    current: bool


async def list_sessions(pool: asyncpg.Pool, name: str, current_hash: str = "") -> list[SessionInfo]:
    now = datetime.now(UTC)
    rows = await pool.fetch(
        "SELECT * FROM sessions WHERE name = $1 AND ended_at IS NULL AND last_seen_at > $2"
        " AND created_at > $3 ORDER BY last_seen_at DESC",
        name,
        now - IDLE_TIMEOUT,
        now - ABSOLUTE_LIFETIME,
    )
    return [
        SessionInfo(
            created_at=row["created_at"],
            last_seen_at=row["last_seen_at"],
            address=row["address"],
            user_agent=row["user_agent"],
            current=row["id_hash"] == current_hash,
        )
        for row in rows
    ]
