"""People on the record (DOMAIN.md "Records beside the plan"): one stream ``user-<name>`` per
person, appended through the event store (hash-chained, so the Merkle log and the witness
cover who granted whom which role), and the ``users`` table as its read model.

Nothing secret is ever in these events: passwords, TOTP secrets, tokens and one-time links
live in their own tables (api/migrations/0004_accounts.sql), hashed where they can be.

The read model is folded right after each append, in the API process, so an administrator
sees their change at once; ``rebuild_users`` folds every ``user-`` stream from scratch and
gives the same table (tests/integration/test_accounts.py checks both).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from api.errors import ApiError
from domain import Actor, Role
from eventstore import EventStore, NewEvent, RecordedEvent
from eventstore.errors import ConcurrencyError, DuplicateEventError
from projections.conn import Conn, Executor

STREAM_PREFIX = "user-"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
COUNTRY_ROLES = frozenset({Role.FOCAL_POINT, Role.HEAD_OF_ADMINISTRATION})
ALL_COUNTRY_ROLES = frozenset({Role.PROGRAMME_MANAGER, Role.AUDITOR})
# Who must prove a second factor at every sign-in, whatever the deployment says.
SECOND_FACTOR_ROLES = frozenset({Role.PROGRAMME_MANAGER, Role.HEAD_OF_ADMINISTRATION, Role.AUDITOR})
# The scopes a personal access token of each role may carry.
SCOPES_BY_ROLE: dict[Role, tuple[str, ...]] = {
    Role.PROGRAMME_MANAGER: ("read", "commands", "approve"),
    Role.HEAD_OF_ADMINISTRATION: ("read", "commands", "approve"),
    Role.FOCAL_POINT: ("read", "commands"),
    Role.AUDITOR: ("read",),
    Role.OBSERVER: ("read",),
}
# Deterministic ids for the migration of pre-stream users: running it twice appends nothing.
_MIGRATION_NAMESPACE = uuid.UUID("4b0f9a5e-3c2d-4e1f-8a7b-6c5d4e3f2a1b")

USER_EVENT_TYPES = frozenset(
    {
        "user_invited",
        "user_activated",
        "user_role_changed",
        "password_changed",
        "second_factor_enrolled",
        "second_factor_reset",
        "token_issued",
        "token_revoked",
        "user_deactivated",
        "user_reactivated",
        "user_linked",
    }
)


def stream_for(name: str) -> str:
    # A stream id has no '@'; ':' is never in a user name, so the mapping is one-to-one.
    return STREAM_PREFIX + name.replace("@", ":")


def name_of_stream(stream_id: str) -> str:
    return stream_id.removeprefix(STREAM_PREFIX).replace(":", "@")


@dataclass(frozen=True)
class Person:
    name: str
    role: Role
    country: str | None
    email: str | None
    status: str  # invited, active, deactivated
    second_factor: str | None
    version: int
    language: str | None = None
    # An observer's donor scope: only the plans this donor funds (None: no donor scope).
    donor: str | None = None


def refuse(rule: str, message: str, status: int = 409, **details: Any) -> ApiError:
    """A refusal of a people command; ``details`` (JSON values) let a page write the
    sentence in its reader's language (locales.refusals)."""
    error = "forbidden" if status == 403 else "rule_violated"
    extra: dict[str, Any] = {"details": details} if details else {}
    return ApiError(status, error, message, rule=rule, **extra)


def check_role_and_country(role: Role, country: str | None) -> None:
    from domain.countries import is_country_code

    if role == Role.SYSTEM:
        raise refuse("not_permitted", "The system role cannot be given to a person.", 422)
    if role in COUNTRY_ROLES and not country:
        raise refuse(
            "country_required", f"A {role.value} needs a country (e.g. GHA).", 422, role=role.value
        )
    if role in ALL_COUNTRY_ROLES and country:
        raise refuse(
            "country_not_allowed", f"A {role.value} acts on all countries.", 422, role=role.value
        )
    if country is not None and not is_country_code(country):
        raise refuse("unknown_country", f"{country!r} is not an ISO 3166-1 alpha-3 code.", 422)


def requires_second_factor(role: Role, everyone: bool) -> bool:
    return everyone or role in SECOND_FACTOR_ROLES


async def find_person(pool: Executor, name: str) -> Person | None:
    row = await pool.fetchrow(
        "SELECT name, role, country, donor, email, status, second_factor, stream_version, language "
        "FROM users WHERE name = $1",
        name,
    )
    return None if row is None else _person(row)


async def find_by_login(pool: asyncpg.Pool, login: str) -> Person | None:
    """By name, or by e-mail address (case-insensitive)."""
    row = await pool.fetchrow(
        "SELECT name, role, country, donor, email, status, second_factor, stream_version, language "
        "FROM users "
        "WHERE name = $1 OR lower(email) = lower($1) ORDER BY name = $1 DESC LIMIT 1",
        login,
    )
    return None if row is None else _person(row)


async def list_people(pool: asyncpg.Pool) -> list[Person]:
    rows = await pool.fetch(
        "SELECT name, role, country, donor, email, status, second_factor, stream_version, language "
        "FROM users ORDER BY name"
    )
    return [_person(row) for row in rows]


def _person(row: asyncpg.Record) -> Person:
    return Person(
        name=row["name"],
        role=Role(row["role"]),
        country=row["country"],
        donor=row["donor"],
        email=row["email"],
        status=row["status"],
        second_factor=row["second_factor"],
        version=row["stream_version"],
        language=row["language"],
    )


async def active_managers(pool: asyncpg.Pool) -> int:
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM users WHERE role = 'programme_manager' AND status = 'active'"
        )
    )


async def record(
    pool: asyncpg.Pool,
    store: EventStore,
    name: str,
    expected_version: int,
    events: Sequence[tuple[str, dict[str, Any]]],
    actor: Actor,
    *,
    reason: str | None = None,
    event_ids: Sequence[uuid.UUID] | None = None,
) -> list[RecordedEvent]:
    """Append ``events`` to the person's stream at ``expected_version`` and fold them into
    the read model. A concurrent change to the same person is refused, never merged."""
    now = datetime.now(UTC)
    metadata = {"actor": actor.name, "role": actor.role.value, "reason": reason}
    new = [
        NewEvent(
            event_id=event_ids[i] if event_ids else uuid.uuid4(),
            type=kind,
            data={"name": name, **data},
            metadata=metadata,
            occurred_at=now,
        )
        for i, (kind, data) in enumerate(events)
    ]
    try:
        result = await store.append(stream_for(name), expected_version, new)
    except ConcurrencyError:
        raise refuse(
            "version_conflict", f"{name} was changed meanwhile; reload and try again."
        ) from None
    async with pool.acquire() as conn, conn.transaction():
        for event in result.events:
            await apply_event(conn, event)
    return result.events


async def apply_event(conn: Conn, event: RecordedEvent) -> None:
    """Fold one user event into ``users``; an event already folded (its version is not the
    next one) changes nothing, so a rebuild after an incremental fold agrees with it."""
    data, version, name = event.data, event.version, name_of_stream(event.stream_id)
    if event.type == "user_invited":
        await conn.execute(
            "INSERT INTO users (name, role, country, email, status, stream_version, revoked_at,"
            " donor) VALUES ($1, $2, $3, $4, 'invited', $5, $6, $7) ON CONFLICT (name) DO UPDATE"
            " SET role = $2, country = $3, email = $4, status = 'invited', stream_version = $5,"
            " revoked_at = $6, donor = $7 WHERE users.stream_version = $5 - 1",
            name,
            data["role"],
            data.get("country"),
            data.get("email"),
            version,
            event.occurred_at,
            data.get("donor"),
        )
        return
    changes: dict[str, Any] = {}
    if event.type in ("user_activated", "user_reactivated"):
        changes = {"status": "active", "revoked_at": None}
    elif event.type == "user_deactivated":
        changes = {"status": "deactivated", "revoked_at": event.occurred_at}
    elif event.type == "user_role_changed":
        changes = {"role": data["role"], "country": data.get("country"), "donor": data.get("donor")}
    elif event.type == "second_factor_enrolled":
        changes = {"second_factor": data["kind"]}
    elif event.type == "second_factor_reset":
        changes = {"second_factor": None}
    elif event.type == "user_linked":
        changes = {"sso_issuer": data["issuer"], "sso_subject": data["subject"]}
    assignments = ", ".join(f"{column} = ${i + 3}" for i, column in enumerate(changes))
    await conn.execute(
        f"UPDATE users SET stream_version = $2{', ' if changes else ''}{assignments}"
        " WHERE name = $1 AND stream_version = $2 - 1",
        name,
        version,
        *changes.values(),
    )


async def rebuild_users(pool: asyncpg.Pool, store: EventStore) -> int:
    """The read model from the streams alone; returns how many events were folded."""
    folded = 0
    async with pool.acquire() as conn, conn.transaction():
        # Everyone with a stream is folded again from nothing; a row without one (made
        # before streams, not migrated yet) is left for migrate_legacy_users.
        # A language is a preference kept on the row (api.users.set_language), not an
        # event: it is carried across the rebuild.
        rows = await conn.fetch("SELECT name, language FROM users WHERE language IS NOT NULL")
        languages: dict[str, str] = {row["name"]: row["language"] for row in rows}
        await conn.execute("DELETE FROM users WHERE stream_version > 0")
        position = 0
        while batch := await store.read_all(position, 1000):
            for event in batch:
                if event.stream_id.startswith(STREAM_PREFIX) and event.type in USER_EVENT_TYPES:
                    await apply_event(conn, event)
                    folded += 1
            position = batch[-1].global_position
        await conn.executemany(
            "UPDATE users SET language = $2 WHERE name = $1", list(languages.items())
        )
    return folded


async def migrate_legacy_users(pool: asyncpg.Pool, store: EventStore) -> list[str]:
    """Give every user made before streams (stream_version 0) a stream: invited and activated
    as migrated, their token carried over as a personal access token, deactivated if it was
    revoked. Idempotent: the event ids derive from the name, so a second run appends nothing.
    Run at every start-up (workers/processes.py) and by the migrate command."""
    from api.tokens import adopt_legacy_token

    system = Actor(name="system", role=Role.SYSTEM, country=None)
    rows = await pool.fetch(
        "SELECT name, role, country, email, token_hash, revoked_at FROM users "
        "WHERE stream_version = 0 ORDER BY name"
    )
    migrated = []
    for row in rows:
        name = row["name"]
        events: list[tuple[str, dict[str, Any]]] = [
            (
                "user_invited",
                {"role": row["role"], "country": row["country"], "email": row["email"]},
            ),
            ("user_activated", {"method": "migrated"}),
        ]
        if row["token_hash"]:
            token_event = await adopt_legacy_token(pool, name, Role(row["role"]), row["token_hash"])
            events.append(("token_issued", token_event))
        if row["revoked_at"] is not None:
            events.append(("user_deactivated", {}))
        ids = [uuid.uuid5(_MIGRATION_NAMESPACE, f"{name}/{i}") for i in range(len(events))]
        try:
            await record(pool, store, name, 0, events, system, reason="migrated", event_ids=ids)
        except (DuplicateEventError, ApiError):
            continue  # another process migrated this person first
        migrated.append(name)
    return migrated
