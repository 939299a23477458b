"""deliver_notification: a notification record per recipient and, with SMTP set up, an e-mail.

Idempotent per (event, recipient): the record is inserted once (unique key) and an e-mail
is sent only for a record not yet marked sent, so a retried activity never sends twice.
(A crash between the SMTP hand-off and the mark can still resend once: at-least-once.)
A send that fails marks its record ``failed`` with the error and fails the activity, so
Temporal retries it a bounded number of times and the workflow retries the rest later.

Recipients come through ``RecipientDirectory``, a port the wiring (workers/) fills with the
api's user directory: this layer does not read the ``users`` table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlparse

import aiosmtplib
import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.emails import compose, notification_kind
from contracts.temporal import DELIVER_NOTIFICATION, NotificationInput, NotificationResult
from domain import Role
from locales.catalogs import normalize

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    use_tls: bool = False

    @classmethod
    def from_url(cls, url: str, sender: str) -> SmtpSettings | None:
        """``smtp://[user:pass@]host[:port]`` or ``smtps://…``; empty means no e-mail."""
        if not url:
            return None
        parsed = urlparse(url)
        if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
            raise ValueError(f"ACIP_SMTP_URL must look like smtp://host:port, not {url!r}")
        tls = parsed.scheme == "smtps"
        return cls(
            host=parsed.hostname,
            port=parsed.port or (465 if tls else 25),
            sender=sender,
            username=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            use_tls=tls,
        )


@dataclass(frozen=True)
class Recipient:
    name: str
    role: str
    email: str | None
    # None: not chosen; the deployment's default language applies.
    language: str | None = None


class RecipientDirectory(Protocol):
    """Who receives a plan's notifications; provided by the wiring."""

    async def recipients_for(self, country: str, roles: Sequence[Role]) -> list[Recipient]:
        """Active people holding one of ``roles``: for a country-scoped role, those of
        ``country``; for a role that spans all countries, all of them. Ordered by name."""
        ...


# Reminders go to the focal points; an escalation to the head and the programme managers.
REMINDER_ROLES = (Role.FOCAL_POINT,)
ESCALATION_ROLES = (Role.HEAD_OF_ADMINISTRATION, Role.PROGRAMME_MANAGER)
# Kept short in the record: an SMTP error can quote a whole server banner.
MAX_ERROR_LENGTH = 500


class NotificationActivities:
    def __init__(
        self,
        pool: asyncpg.Pool,
        directory: RecipientDirectory,
        smtp: SmtpSettings | None,
        *,
        default_language: str = "en",
    ) -> None:
        self._pool = pool
        self._directory = directory
        self._smtp = smtp
        self._default_language = normalize(default_language) or "en"

    @activity.defn(name=DELIVER_NOTIFICATION)
    async def deliver_notification(self, input: NotificationInput) -> NotificationResult:
        kind = notification_kind(input)
        roles = ESCALATION_ROLES if input.event.type == "milestone_escalated" else REMINDER_ROLES
        recipients = await self._directory.recipients_for(input.country, roles)
        bound = log.bind(plan_id=input.plan_id, event_id=str(input.event.event_id), kind=kind)
        if not recipients:
            bound.warning("notification has no recipient", country=input.country)
        emails_sent = 0
        failures: list[str] = []
        for recipient in recipients:
            # Each person reads it in their own language; the record keeps what was sent.
            language = normalize(recipient.language) or self._default_language
            _, subject, body = compose(input, language)
            row = await self._pool.fetchrow(
                """
                INSERT INTO notifications (event_id, plan_id, country, kind, milestone_id,
                    recipient, recipient_role, email, subject, body)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (event_id, recipient) DO UPDATE SET event_id = EXCLUDED.event_id
                RETURNING notification_id, status
                """,
                input.event.event_id,
                input.plan_id,
                input.country,
                kind,
                input.event.data.get("milestone_id"),
                recipient.name,
                recipient.role,
                recipient.email,
                subject,
                body,
            )
            assert row is not None
            if row["status"] == "sent" or self._smtp is None or not recipient.email:
                continue
            try:
                await self._send(recipient.email, subject, body)
            except (OSError, aiosmtplib.SMTPException) as error:
                message = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
                await self._mark(row["notification_id"], "failed", message)
                failures.append(f"{recipient.name}: {message}")
                continue
            await self._mark(row["notification_id"], "sent", None)
            emails_sent += 1
        names = [r.name for r in recipients]
        if failures:
            bound.warning("notification not delivered", failed=failures)
            # Retryable: Temporal tries again (bounded), then the workflow later; the rows
            # already sent are skipped next time, so nobody gets an e-mail twice.
            raise ApplicationError(
                f"{len(failures)} of {len(names)} e-mails failed: {'; '.join(failures)}",
                type="NotificationNotDelivered",
            )
        bound.info("notification delivered", recipients=names)
        return NotificationResult(recipients=names, emails_sent=emails_sent)

    async def _mark(self, notification_id: int, status: str, error: str | None) -> None:
        await self._pool.execute(
            """
            UPDATE notifications
               SET status = $2, error = $3, attempts = attempts + 1, last_attempt_at = now(),
                   sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END
             WHERE notification_id = $1
            """,
            notification_id,
            status,
            error,
        )

    async def _send(self, to: str, subject: str, body: str) -> None:
        smtp = self._smtp
        assert smtp is not None
        message = EmailMessage()
        message["From"] = smtp.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        await aiosmtplib.send(
            message,
            hostname=smtp.host,
            port=smtp.port,
            username=smtp.username,
            password=smtp.password,
            use_tls=smtp.use_tls,
            # A relay that accepts the connection and then hangs must not hold the activity
            # until its start-to-close timeout.
            timeout=30,
        )
