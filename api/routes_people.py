"""People through the JSON API: your own account and tokens, user administration for
programme managers (each a command with its reason), the security record for auditors."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel, Field

from api import security_log
from api.administration import InviteUser, UserCommand, administer, invite
from api.context import ApiContext, Principal, get_context, get_principal
from api.declared import NOT_PERMITTED, UNAUTHORIZED, Responses, refusal
from api.errors import ApiError
from api.people import NAME_PATTERN, Person, find_person, list_people
from api.tokens import DEFAULT_DAYS, TokenInfo, issue_token, list_tokens, revoke_token
from domain import Role

router = APIRouter(tags=["people"])
REFUSALS: Responses = {
    **UNAUTHORIZED,
    **NOT_PERMITTED,
    404: refusal(
        "No such person or token", {"error": "not_found", "message": "There is no person named x."}
    ),
    409: refusal(
        "A rule refused the command (`rule`), e.g. last_programme_manager",
        {
            "error": "rule_violated",
            "rule": "last_programme_manager",
            "message": "The last active programme manager cannot be deactivated.",
        },
    ),
}
SECURITY_READERS = frozenset({Role.AUDITOR, Role.PROGRAMME_MANAGER})
PersonName = Annotated[
    str, Path(pattern=NAME_PATTERN.pattern, max_length=64, description="The account name")
]
TokenId = Annotated[
    str,
    Path(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        max_length=36,
        description="The token's id, as listed",
    ),
]
Day = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        max_length=10,
        description="UTC day, e.g. 2026-12-01; default today",
    ),
]


class PersonOut(BaseModel):
    name: str
    role: Role
    country: str | None
    email: str | None
    status: str
    second_factor: str | None
    version: int


class TokenOut(BaseModel):
    token_id: uuid.UUID
    label: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="The token itself: shown this once, never stored in clear.")


class NewToken(BaseModel):
    label: str = Field(min_length=1, max_length=80)
    scopes: list[str] = Field(min_length=1, max_length=3)
    days: int = Field(default=DEFAULT_DAYS, ge=1, le=365)


class InvitedOut(BaseModel):
    person: PersonOut
    invitation_sent_to: str


class SecurityEventOut(BaseModel):
    type: str
    occurred_at: datetime
    version: int
    hash: str
    address: str
    account: str | None = None
    details: dict[str, Any]


def _person(person: Person) -> PersonOut:
    return PersonOut(**person.__dict__)


def _token(info: TokenInfo) -> TokenOut:
    return TokenOut(**{k: v for k, v in info.__dict__.items() if k != "name"})


def _manager(principal: Principal) -> None:
    if principal.actor.role is not Role.PROGRAMME_MANAGER:
        raise ApiError(
            403, "forbidden", "Only a programme manager administers people.", rule="not_permitted"
        )


async def _target(context: ApiContext, principal: Principal, name: str) -> Person:
    """Your own account, or (for a programme manager) anyone's."""
    if name != principal.actor.name:
        _manager(principal)
    person = await find_person(context.pool, name)
    if person is None:
        raise ApiError(404, "not_found", f"There is no person named {name}.")
    return person


@router.get("/account", summary="Your own account", responses=REFUSALS, response_model=PersonOut)
async def my_account(
    principal: Principal = Depends(get_principal), context: ApiContext = Depends(get_context)
) -> PersonOut:
    return _person(await _target(context, principal, principal.actor.name))


@router.get(
    "/users",
    summary="Everyone (programme managers)",
    responses=REFUSALS,
    response_model=list[PersonOut],
)
async def people(
    principal: Principal = Depends(get_principal), context: ApiContext = Depends(get_context)
) -> list[PersonOut]:
    _manager(principal)
    return [_person(p) for p in await list_people(context.pool)]


@router.post(
    "/users",
    status_code=201,
    summary="Invite a person by e-mail",
    responses=REFUSALS,
    response_model=InvitedOut,
)
async def invite_person(
    command: InviteUser,
    principal: Principal = Depends(get_principal),
    context: ApiContext = Depends(get_context),
) -> InvitedOut:
    person, _ = await invite(context.pool, context.store, context.mailer, command, principal.actor)
    return InvitedOut(person=_person(person), invitation_sent_to=command.email)


@router.post(
    "/users/{name}/commands",
    summary="Administer a person (with a reason)",
    responses=REFUSALS,
    response_model=PersonOut,
)
async def administer_person(
    name: PersonName,
    command: Annotated[UserCommand, Body()],
    principal: Principal = Depends(get_principal),
    context: ApiContext = Depends(get_context),
) -> PersonOut:
    person = await administer(
        context.pool,
        context.store,
        context.mailer,
        name,
        command,
        principal.actor,
    )
    return _person(person)


@router.get(
    "/users/{name}/tokens",
    summary="A person's tokens (never the tokens themselves)",
    responses=REFUSALS,
    response_model=list[TokenOut],
)
async def tokens_of(
    name: PersonName,
    principal: Principal = Depends(get_principal),
    context: ApiContext = Depends(get_context),
) -> list[TokenOut]:
    person = await _target(context, principal, name)
    return [_token(t) for t in await list_tokens(context.pool, person.name)]


@router.post(
    "/users/{name}/tokens",
    status_code=201,
    summary="Issue yourself a token",
    responses=REFUSALS,
    response_model=NewTokenOut,
)
async def new_token(
    name: PersonName,
    body: NewToken,
    principal: Principal = Depends(get_principal),
    context: ApiContext = Depends(get_context),
) -> NewTokenOut:
    if name != principal.actor.name:
        raise ApiError(
            403, "forbidden", "A token is issued only to its owner.", rule="not_permitted"
        )
    person = await _target(context, principal, name)
    token, info = await issue_token(
        context.pool, context.store, person, body.label, body.scopes, body.days, principal.actor
    )
    return NewTokenOut(token=token, **_token(info).model_dump())


@router.delete(
    "/users/{name}/tokens/{token_id}",
    summary="Revoke a token (owner or manager)",
    responses=REFUSALS,
    response_model=PersonOut,
)
async def revoke(
    name: PersonName,
    token_id: TokenId,
    principal: Principal = Depends(get_principal),
    context: ApiContext = Depends(get_context),
) -> PersonOut:
    person = await _target(context, principal, name)
    await revoke_token(context.pool, context.store, person, uuid.UUID(token_id), principal.actor)
    changed = await find_person(context.pool, name)
    assert changed is not None
    return _person(changed)


@router.get(
    "/security/events",
    summary="The security record of one UTC day (auditors)",
    responses=REFUSALS,
    response_model=list[SecurityEventOut],
)
async def security_events(
    day: Day = None,
    principal: Principal = Depends(get_principal),
    context: ApiContext = Depends(get_context),
) -> list[SecurityEventOut]:
    if principal.actor.role not in SECURITY_READERS:
        raise ApiError(
            403, "forbidden", "The security record is for auditors.", rule="not_permitted"
        )
    try:
        wanted = date.fromisoformat(day) if day else datetime.now(UTC).date()
    except ValueError:
        raise ApiError(422, "invalid_request", f"{day} is not a calendar date.") from None
    events = await security_log.events_of_day(context.store, wanted)
    fixed = {"type", "occurred_at", "version", "hash", "address", "account"}
    return [
        SecurityEventOut(
            **{k: e.get(k) for k in fixed},
            details={k: v for k, v in e.items() if k not in fixed},
        )
        for e in events
    ]
