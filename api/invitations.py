"""One-time links sent by e-mail: an invitation (72 hours to set a password and enrol a
second factor) or a password reset (the same, for an active account). The link carries a
random value whose SHA-256 is kept; using it once spends it, and a newer link of the same
purpose spends the older ones.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import aiosmtplib
import asyncpg
import structlog

from activities.notifications import SmtpSettings
from api.credentials import hash_secret
from locales.catalogs import N_, gettext_in, normalize
from locales.terms import role_name
from projections.conn import Conn, Executor

log = structlog.get_logger(__name__)

LINK_LIFETIME = timedelta(hours=72)
PURPOSES = ("invitation", "password_reset")


@dataclass(frozen=True)
class Mailer:
    """Where links point and how they are sent; ``smtp`` None: logged, never sent."""

    public_url: str
    smtp: SmtpSettings | None
    # The language of a person who has not chosen one (ACIP_DEFAULT_LANGUAGE).
    default_language: str = "en"

    def language_for(self, chosen: str | None) -> str:
        """The recipient's own language, else the deployment's."""
        return normalize(chosen) or normalize(self.default_language) or "en"

    async def send(self, to: str, subject: str, body: str) -> bool:
        if self.smtp is None:
            log.warning("no SMTP configured: account e-mail not sent", to=to, subject=subject)
            return False
        message = EmailMessage()
        message["From"] = self.smtp.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        await aiosmtplib.send(
            message,
            hostname=self.smtp.host,
            port=self.smtp.port,
            username=self.smtp.username,
            password=self.smtp.password,
            use_tls=self.smtp.use_tls,
            timeout=10,
        )
        return True


async def create_link(
    pool: asyncpg.Pool, name: str, purpose: str, lifetime: timedelta = LINK_LIFETIME
) -> str:
    assert purpose in PURPOSES
    value = secrets.token_urlsafe(32)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "UPDATE account_links SET used_at = now() "
            "WHERE name = $1 AND purpose = $2 AND used_at IS NULL",
            name,
            purpose,
        )
        await conn.execute(
            "INSERT INTO account_links (link_hash, name, purpose, expires_at) "
            "VALUES ($1, $2, $3, $4)",
            hash_secret(value),
            name,
            purpose,
            datetime.now(UTC) + lifetime,
        )
    return value


@dataclass(frozen=True)
class LinkState:
    name: str
    purpose: str
    problem: str | None  # None: usable; otherwise a sentence for the person (a message id)


async def inspect_link(pool: Executor, value: str) -> LinkState | None:
    row = await pool.fetchrow(
        "SELECT name, purpose, expires_at, used_at FROM account_links WHERE link_hash = $1",
        hash_secret(value),
    )
    if row is None:
        return None
    problem = None
    if row["used_at"] is not None:
        problem = N_("This link was already used or replaced by a newer one.")
    elif row["expires_at"] <= datetime.now(UTC):
        problem = N_("This link has expired (links are valid for 72 hours).")
    return LinkState(name=row["name"], purpose=row["purpose"], problem=problem)


async def spend_link(conn: Conn, value: str) -> bool:
    """Mark the link used; False if another request used it first."""
    status = await conn.execute(
        "UPDATE account_links SET used_at = now() "
        "WHERE link_hash = $1 AND used_at IS NULL AND expires_at > now()",
        hash_secret(value),
    )
    return status.endswith(" 1")


def link_url(mailer: Mailer, value: str) -> str:
    return f"{mailer.public_url.rstrip('/')}/ui/welcome/{value}"


async def send_invitation(
    mailer: Mailer,
    pool: asyncpg.Pool,
    name: str,
    email: str,
    role: str,
    by: str,
    language: str | None = None,
) -> str:
    """Create the link and mail it, in the invited person's language (``language``, their
    account's; else the deployment's); returns the link (the CLI prints it for bootstrapping).
    """
    url = link_url(mailer, await create_link(pool, name, "invitation"))
    reader = mailer.language_for(language)
    body = gettext_in(
        reader,
        "Hello,\n\n{by} invited you to the WCO A-CIP action plans as {role} (account name: "
        "{name}).\n\nSet your password and second factor here, within 72 hours:\n\n{url}\n\n"
        "If you did not expect this, ignore this message.\n",
    ).format(by=by, role=role_name(role, reader).lower(), name=name, url=url)
    await _mail(mailer, email, gettext_in(reader, "Your A-CIP account"), body)
    return url


async def send_password_reset(
    mailer: Mailer, pool: asyncpg.Pool, name: str, email: str, language: str | None = None
) -> None:
    url = link_url(mailer, await create_link(pool, name, "password_reset"))
    reader = mailer.language_for(language)
    body = gettext_in(
        reader,
        "Hello,\n\nA new password was asked for the A-CIP account {name}. Choose it here, "
        "within 72 hours:\n\n{url}\n\nIf you did not ask, ignore this message: your password "
        "stays as it is.\n",
    ).format(name=name, url=url)
    await _mail(mailer, email, gettext_in(reader, "Reset your A-CIP password"), body)


async def _mail(mailer: Mailer, to: str, subject: str, body: str) -> None:
    try:
        await mailer.send(to, subject, body)
    except (OSError, aiosmtplib.SMTPException) as error:
        # The link exists; an administrator can resend once the relay answers.
        log.error("account e-mail failed", to=to, error=str(error))
