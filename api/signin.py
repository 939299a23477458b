"""Signing in with a password and, where enrolled, a TOTP code; accepting a one-time link.

Every refusal reads the same whether or not the account exists, and takes about as long
(a password is checked against a dummy hash when there is no account). Failures are
counted per account (and per what was typed) in the API's shared failure table, so every
API process sees the same count; per client address the API's login throttle
(api/ratelimit.py) counts the 401s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from api import credentials, security_log
from api.credentials import WeakPasswordError
from api.invitations import inspect_link, spend_link
from api.people import Person, find_by_login, find_person, record
from api.ratelimit import FailedLoginLimiter
from api.sessions import end_all_sessions
from domain import Actor
from eventstore import EventStore
from locales.catalogs import N_, gettext_in

FAILURE_WINDOW = timedelta(minutes=15)
MAX_ACCOUNT_FAILURES = 10
REFUSED = N_("The account, password or code is not right.")
LINK_NOT_VALID = N_("This link is not valid.")
CODE_MISMATCH = N_("That code does not match; check the authenticator's clock.")


class SignInRefusedError(Exception):
    """A sign-in or link refused: ``message`` the English sentence, ``template`` its message
    id with ``{places}`` filled from ``values``, so a page can write it in its reader's
    language (``in_language``)."""

    def __init__(
        self,
        template: str,
        status: int = 401,
        retry_after: int | None = None,
        values: dict[str, object] | None = None,
    ) -> None:
        self.template = template
        self.values = values or {}
        self.message = template.format(**self.values)
        super().__init__(self.message)
        self.status = status
        self.retry_after = retry_after

    def in_language(self, language: str) -> str:
        return gettext_in(language, self.template).format(**self.values)


@dataclass(frozen=True)
class SignedIn:
    person: Person
    second_factor: bool  # proven now, with a TOTP or recovery code


def _login_key(login: str) -> str:
    return login.strip().lower()[:64]


def account_throttle(pool: asyncpg.Pool) -> FailedLoginLimiter:
    """Per account, on the API's shared failure table (api/ratelimit.py, login_failures):
    what a guesser spreading over many addresses runs into."""
    return FailedLoginLimiter(
        pool, MAX_ACCOUNT_FAILURES, window_seconds=FAILURE_WINDOW.total_seconds()
    )


async def sign_in(
    pool: asyncpg.Pool, store: EventStore, login: str, password: str, code: str, address: str
) -> SignedIn:
    key = _login_key(login)
    person = await find_by_login(pool, key) if key else None
    account = person.name if person else None
    # Keyed by what was typed and by the account it names, so that the name and the e-mail
    # address of one person share a count, and an unknown name is throttled just the same.
    keys = [f"login:{key}"] + ([f"account:{account}"] if account else [])
    throttle = account_throttle(pool)
    wait = await throttle.retry_after(keys)
    if wait is not None:
        minutes = max(1, math.ceil(wait / 60))
        raise SignInRefusedError(
            N_("Too many failed sign-ins for this account; try again in {minutes} minutes."),
            status=429,
            retry_after=math.ceil(wait),
            values={"minutes": minutes},
        )
    stored = await credentials.stored(pool, account) if account else None
    hashed = stored["password_hash"] if stored else None
    ok = credentials.password_matches(hashed, password) and person is not None
    if not ok or person is None or person.status != "active":
        await security_log.note(
            store, "sign_in_failed", address=address, login=key, account=account, why="password"
        )
        await throttle.record_failure(keys)
        raise SignInRefusedError(REFUSED)
    proven = False
    if stored is not None and stored["totp_secret"]:
        if not await credentials.check_second_factor(pool, person.name, code):
            await security_log.note(
                store, "second_factor_failed", address=address, login=key, account=account
            )
            await throttle.record_failure(keys)
            raise SignInRefusedError(REFUSED)
        proven = True
    await security_log.note(
        store, "sign_in_succeeded", address=address, account=person.name, second_factor=proven
    )
    return SignedIn(person=person, second_factor=proven)


@dataclass(frozen=True)
class LinkAccepted:
    person: Person
    recovery_codes: list[str]


async def accept_link(
    pool: asyncpg.Pool,
    store: EventStore,
    value: str,
    password: str,
    totp_secret: str,
    code: str,
    *,
    second_factor_required: bool,
) -> LinkAccepted:
    """Spend an invitation or reset link: set the password and, with a code for the shown
    secret, enrol TOTP. Raises SignInRefusedError (422/410) with a sentence for the form."""
    link = await inspect_link(pool, value)
    if link is None or link.problem:
        raise SignInRefusedError((link and link.problem) or LINK_NOT_VALID, 410)
    person = await find_person(pool, link.name)
    if person is None or person.status == "deactivated":
        raise SignInRefusedError(LINK_NOT_VALID, 410)
    try:
        credentials.check_password(password, person.name, person.email)
    except WeakPasswordError as weak:
        raise SignInRefusedError(weak.template, 422, values=weak.values) from None
    step = credentials.totp_step(totp_secret, code, 0) if totp_secret and code else None
    if code and step is None:
        raise SignInRefusedError(CODE_MISMATCH, 422)
    if step is None and second_factor_required and person.second_factor is None:
        raise SignInRefusedError(
            N_("Your role needs a second factor: scan the code and type the 6 digits it shows."),
            422,
        )
    actor = Actor(name=person.name, role=person.role, country=person.country, donor=person.donor)
    events: list[tuple[str, dict[str, object]]] = []
    if person.status == "invited":
        events.append(("user_activated", {"method": "invitation"}))
    events.append(("password_changed", {"via": link.purpose}))
    if step is not None:
        events.append(("second_factor_enrolled", {"kind": "totp"}))
    codes: list[str] = []
    async with pool.acquire() as conn, conn.transaction():
        if not await spend_link(conn, value):
            raise SignInRefusedError(N_("This link was already used."), 410)
        await credentials.set_password(conn, person.name, password)
        if step is not None:
            codes = await credentials.enrol_totp(conn, person.name, totp_secret, step)
        if link.purpose == "password_reset":
            # Whoever knew the old password is out: every session ends.
            await end_all_sessions(conn, person.name)
    await record(pool, store, person.name, person.version, events, actor, reason=link.purpose)
    changed = await find_person(pool, person.name)
    assert changed is not None
    return LinkAccepted(person=changed, recovery_codes=codes)


async def enrol_second_factor(
    pool: asyncpg.Pool, store: EventStore, person: Person, secret: str, code: str
) -> list[str]:
    """Enrol TOTP from the account page; returns the recovery codes (shown once)."""
    step = credentials.totp_step(secret, code, 0)
    if step is None:
        raise SignInRefusedError(CODE_MISMATCH, 422)
    codes = await credentials.enrol_totp(pool, person.name, secret, step)
    actor = Actor(name=person.name, role=person.role, country=person.country, donor=person.donor)
    enrolled = {"kind": "totp"}
    await record(
        pool, store, person.name, person.version, [("second_factor_enrolled", enrolled)], actor
    )
    return codes
