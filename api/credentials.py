"""Secrets a person proves themselves with: a password (argon2id), a TOTP second factor and
its recovery codes. Kept in the ``credentials`` table, never in an event.

The password rules need no internet: a length, a bundled list of common passwords, and
patterns a guesser tries first (the person's own name or address, one repeated character,
a keyboard or counting run).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from functools import lru_cache
from pathlib import Path

import asyncpg
import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from locales.catalogs import N_
from projections.conn import Executor

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
RECOVERY_CODES = 10
TOTP_ISSUER = "A-CIP action plans"
_COMMON = Path(__file__).resolve().parent / "common_passwords.txt"
_RUNS = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm")
# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile.
_hasher = PasswordHasher()
# Checked against when the person is unknown, so a refusal takes as long either way.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class WeakPasswordError(ValueError):
    """The password breaks a rule; the message says which, in words (``template``, a message
    id, with its ``values``, for a page in another language)."""

    def __init__(self, template: str, **values: object) -> None:
        self.template = template
        self.values = values
        super().__init__(template.format(**values))


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = _COMMON.read_text().splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password: str, name: str, email: str | None) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(N_("Use at least {count} characters."), count=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPasswordError(N_("Use at most {count} characters."), count=MAX_PASSWORD_LENGTH)
    lowered = password.lower()
    if lowered in common_passwords() or lowered.rstrip("0123456789!") in common_passwords():
        raise WeakPasswordError(N_("This password is on the list of the most common ones."))
    personal = {name.lower(), *(name.lower().split(".")), (email or "").lower().split("@")[0]}
    if any(len(part) >= 4 and part in lowered for part in personal):
        raise WeakPasswordError(N_("The password must not contain your name or e-mail address."))
    if len(set(lowered)) <= 3:
        raise WeakPasswordError(N_("Use more than three different characters."))
    if any(lowered in run * 3 or lowered in run[::-1] * 3 for run in _RUNS) or _is_run(lowered):
        raise WeakPasswordError(N_("A keyboard or counting run is guessed first; choose another."))


def _is_run(text: str) -> bool:
    """A repeated short block, e.g. 'abcabcabcabc'."""
    return any(text == text[:size] * (len(text) // size) for size in range(1, 5))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=TOTP_ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG, rendered here: the secret never leaves the server
    for a third-party QR service."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=4, dark="#1b1f23", light="#ffffff")
    return svg


def totp_step(secret: str, code: str, last_step: int, *, at: float | None = None) -> int | None:
    """The time step of ``code`` if it is valid now (one step of clock drift either way) and
    later than ``last_step``; None otherwise. A code is accepted once: a replay is refused."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    now = time.time() if at is None else at
    totp = pyotp.TOTP(secret)
    current = int(now // totp.interval)
    for step in (current, current - 1, current + 1):
        if step > last_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    return [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]


def hash_secret(value: str) -> str:
    """For random, high-entropy secrets (tokens, links, recovery codes): SHA-256 suffices."""
    return hashlib.sha256(value.encode()).hexdigest()


async def stored(pool: Executor, name: str) -> asyncpg.Record | None:
    return await pool.fetchrow("SELECT * FROM credentials WHERE name = $1", name)


async def set_password(conn: Executor, name: str, password: str) -> None:
    await conn.execute(
        "INSERT INTO credentials (name, password_hash) VALUES ($1, $2) "
        "ON CONFLICT (name) DO UPDATE SET password_hash = $2",
        name,
        hash_password(password),
    )


async def pending_totp_secret(pool: Executor, name: str) -> str:
    """The TOTP secret being enrolled, kept here (never in a form field) until a code
    proves it: the same one on a reload, so a QR code already scanned stays good."""
    secret: str = await pool.fetchval(
        "INSERT INTO credentials (name, totp_pending) VALUES ($1, $2) ON CONFLICT (name)"
        " DO UPDATE SET totp_pending = coalesce(credentials.totp_pending, $2)"
        " RETURNING totp_pending",
        name,
        new_totp_secret(),
    )
    return secret


async def enrol_totp(conn: Executor, name: str, secret: str, step: int) -> list[str]:
    """Make ``secret`` the person's second factor; returns recovery codes (shown once)."""
    codes = new_recovery_codes()
    await conn.execute(
        "INSERT INTO credentials (name, totp_secret, recovery_hashes, last_totp_step) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET totp_secret = $2, "
        "recovery_hashes = $3, last_totp_step = $4, totp_pending = NULL",
        name,
        secret,
        [hash_secret(code) for code in codes],
        step,
    )
    return codes


async def clear_second_factor(conn: Executor, name: str) -> None:
    await conn.execute(
        "UPDATE credentials SET totp_secret = NULL, recovery_hashes = '{}', last_totp_step = 0 "
        "WHERE name = $1",
        name,
    )


async def check_second_factor(pool: asyncpg.Pool, name: str, code: str) -> bool:
    """A TOTP code (once) or an unused recovery code (used up by this)."""
    row = await stored(pool, name)
    if row is None or row["totp_secret"] is None:
        return False
    step = totp_step(row["totp_secret"], code, row["last_totp_step"])
    if step is not None:
        # Conditional on the step stored: two requests racing with one code, one wins.
        status = await pool.execute(
            "UPDATE credentials SET last_totp_step = $2 WHERE name = $1 AND last_totp_step < $2",
            name,
            step,
        )
        return status.endswith(" 1")
    hashed = hash_secret(code.strip().lower())
    status = await pool.execute(
        "UPDATE credentials SET recovery_hashes = array_remove(recovery_hashes, $2) "
        "WHERE name = $1 AND $2 = ANY(recovery_hashes)",
        name,
        hashed,
    )
    return status.endswith(" 1")
