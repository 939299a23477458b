"""User administration as commands: each names its reason, is refused by a rule like any
plan command, and a refusal of an authenticated person is on the record (``command_refused``
in ``attempts-users``, beside the plans' attempts streams).

Only a programme manager administers people (the CLI's bootstrap acts as ``system``). The
last active programme manager can be neither deactivated nor given another role: someone
must always be able to administer.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import asyncpg
import structlog
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api import credentials, security_log
from api.errors import ApiError
from api.invitations import Mailer, send_invitation
from api.people import (
    NAME_PATTERN,
    Person,
    active_managers,
    check_role_and_country,
    find_person,
    record,
    refuse,
)
from api.sessions import end_all_sessions
from api.tokens import revoke_all
from domain import Actor, Role
from eventstore import ANY, EventStore, NewEvent
from locales.catalogs import LANGUAGES, normalize

log = structlog.get_logger(__name__)

ATTEMPTS_STREAM = "attempts-users"
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, pattern=NAME_PATTERN.pattern)]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InviteUser(_Command):
    type: Literal["invite_user"] = "invite_user"
    name: Name
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)]
    role: Role
    country: str | None = None
    reason: Reason
    # The language the person reads (their invitation, then the dashboard); none: the
    # deployment's default until they choose.
    language: str | None = Field(default=None, max_length=20)


class ChangeRole(_Command):
    type: Literal["change_role"] = "change_role"
    role: Role
    country: str | None = None
    reason: Reason


class ResetSecondFactor(_Command):
    type: Literal["reset_second_factor"] = "reset_second_factor"
    reason: Reason


class DeactivateUser(_Command):
    type: Literal["deactivate_user"] = "deactivate_user"
    reason: Reason


class ReactivateUser(_Command):
    type: Literal["reactivate_user"] = "reactivate_user"
    reason: Reason


class ResendInvitation(_Command):
    type: Literal["resend_invitation"] = "resend_invitation"
    reason: Reason = "invitation sent again"


UserCommand = Annotated[
    ChangeRole | ResetSecondFactor | DeactivateUser | ReactivateUser | ResendInvitation,
    Field(discriminator="type"),
]


def _require_manager(actor: Actor) -> None:
    if actor.role not in (Role.PROGRAMME_MANAGER, Role.SYSTEM):
        raise refuse("not_permitted", "Only a programme manager administers people.", 403)


async def invite(
    pool: asyncpg.Pool, store: EventStore, mailer: Mailer, command: InviteUser, actor: Actor
) -> tuple[Person, str]:
    """Invite a person; returns them and the link (sent by e-mail, printed by the CLI)."""
    try:
        _require_manager(actor)
        country = command.country.strip().upper() if command.country else None
        check_role_and_country(command.role, country)
        if "@" not in command.email or command.email.startswith("@"):
            raise refuse("invalid_email", "Give the person's e-mail address.", 422)
        language = normalize(command.language)
        if command.language and language is None:
            raise refuse(
                "unknown_language",
                f"The language must be one of {', '.join(LANGUAGES)}, not {command.language!r}.",
                422,
            )
        if await find_person(pool, command.name) is not None:
            raise refuse(
                "user_exists", f"There is already a person named {command.name}.", name=command.name
            )
        data = {"role": command.role.value, "country": country, "email": command.email}
        await record(
            pool, store, command.name, 0, [("user_invited", data)], actor, reason=command.reason
        )
    except ApiError as error:
        await record_refusal(store, command.type, command.name, actor, error)
        raise
    if language is not None:
        # A preference kept on the row, as the switcher keeps it (api.users.set_language).
        await pool.execute("UPDATE users SET language = $2 WHERE name = $1", command.name, language)
    person = await find_person(pool, command.name)
    assert person is not None
    url = await send_invitation(
        mailer, pool, person.name, command.email, command.role.value, actor.name, person.language
    )
    return person, url


async def administer(
    pool: asyncpg.Pool,
    store: EventStore,
    mailer: Mailer,
    name: str,
    command: ChangeRole | ResetSecondFactor | DeactivateUser | ReactivateUser | ResendInvitation,
    actor: Actor,
    *,
    address: str = "",
) -> Person:
    try:
        _require_manager(actor)
        person = await find_person(pool, name)
        if person is None:
            raise refuse("unknown_user", f"There is no person named {name}.", 404, name=name)
        await _decide_and_record(pool, store, mailer, person, command, actor, address)
    except ApiError as error:
        await record_refusal(store, command.type, name, actor, error)
        raise
    changed = await find_person(pool, name)
    assert changed is not None
    return changed


async def _decide_and_record(
    pool: asyncpg.Pool,
    store: EventStore,
    mailer: Mailer,
    person: Person,
    command: ChangeRole | ResetSecondFactor | DeactivateUser | ReactivateUser | ResendInvitation,
    actor: Actor,
    address: str,
) -> None:
    last_manager = person.role is Role.PROGRAMME_MANAGER and person.status == "active"
    last_manager = last_manager and await active_managers(pool) <= 1
    if isinstance(command, ChangeRole):
        country = command.country.strip().upper() if command.country else None
        check_role_and_country(command.role, country)
        if command.role is not Role.PROGRAMME_MANAGER and last_manager:
            raise refuse("last_programme_manager", "The last programme manager keeps the role.")
        if command.role is person.role and country == person.country:
            raise refuse(
                "no_change", f"{person.name} already has this role and country.", name=person.name
            )
        data = {"role": command.role.value, "country": country, "previous_role": person.role.value}
        await _record_one(pool, store, person, "user_role_changed", data, actor, command.reason)
        # New powers need a new sign-in: sessions and tokens of the old role end now.
        await _cut_access(pool, person.name)
    elif isinstance(command, ResetSecondFactor):
        if person.second_factor is None:
            raise refuse(
                "no_second_factor",
                f"{person.name} has no second factor to reset.",
                name=person.name,
            )
        await credentials.clear_second_factor(pool, person.name)
        await _record_one(pool, store, person, "second_factor_reset", {}, actor, command.reason)
        await end_all_sessions(pool, person.name)
        await security_log.note(
            store,
            "second_factor_reset",
            address=address,
            account=person.name,
            by=actor.name,
            reason=command.reason,
        )
    elif isinstance(command, DeactivateUser):
        if person.status == "deactivated":
            raise refuse(
                "already_deactivated", f"{person.name} is already deactivated.", name=person.name
            )
        if last_manager:
            raise refuse(
                "last_programme_manager", "The last active programme manager cannot be deactivated."
            )
        await _record_one(pool, store, person, "user_deactivated", {}, actor, command.reason)
        await _cut_access(pool, person.name)
    elif isinstance(command, ReactivateUser):
        if person.status != "deactivated":
            raise refuse("not_deactivated", f"{person.name} is not deactivated.", name=person.name)
        await _record_one(pool, store, person, "user_reactivated", {}, actor, command.reason)
    else:
        if person.status != "invited" or not person.email:
            raise refuse(
                "not_invited",
                f"{person.name} has already accepted the invitation.",
                name=person.name,
            )
        await send_invitation(
            mailer, pool, person.name, person.email, person.role.value, actor.name, person.language
        )


async def _record_one(
    pool: asyncpg.Pool,
    store: EventStore,
    person: Person,
    kind: str,
    data: dict[str, Any],
    actor: Actor,
    reason: str,
) -> None:
    """One event on the person's stream, at the version the decision was taken on."""
    await record(pool, store, person.name, person.version, [(kind, data)], actor, reason=reason)


async def _cut_access(pool: asyncpg.Pool, name: str) -> None:
    """Effective at once: every session and token of the person stops working."""
    async with pool.acquire() as conn, conn.transaction():
        await end_all_sessions(conn, name)
        await revoke_all(conn, name)


async def record_refusal(
    store: EventStore, command_type: str, name: str, actor: Actor, error: ApiError
) -> None:
    if error.rule is None or error.status >= 500:
        return
    data: dict[str, Any] = {
        "command_type": command_type,
        "rule": error.rule,
        "message": error.message,
        "actor": actor.name,
        "role": actor.role.value,
        "user": name,
        "command_id": None,
    }
    event = NewEvent(
        event_id=uuid.uuid4(),
        type="command_refused",
        data=data,
        metadata={"actor": actor.name, "role": actor.role.value},
        occurred_at=datetime.now(UTC),
    )
    try:
        await store.append(ATTEMPTS_STREAM, ANY, [event])
    except (asyncpg.PostgresError, OSError) as failure:
        log.error("refused attempt NOT recorded", rule=error.rule, error=str(failure))
