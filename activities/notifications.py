"""deliver_notification: a notification record per recipient and, with SMTP set up, an e-mail.

Idempotent per (event, recipient): the record is inserted once (unique key) and an e-mail
is sent only for a record not yet marked sent, so a retried activity never sends twice.
(A crash between the SMTP hand-off and the mark can still resend once: at-least-once.)
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

import aiosmtplib
import asyncpg
import structlog
from temporalio import activity

from activities.names import DELIVER_NOTIFICATION
from workflows.models import NotificationInput, NotificationResult

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


def compose(input: NotificationInput) -> tuple[str, str, str]:
    """Return (kind, subject, body) for a reminder or an escalation."""
    data = input.event.data
    milestone = input.milestone_title or str(data.get("milestone_id"))
    due = data.get("due_date")
    if input.event.type == "milestone_escalated":
        kind = "escalation"
        subject = f"[A-CIP {input.plan_id}] Escalation: milestone '{milestone}' is overdue"
        body = (
            f"The milestone '{milestone}' of the action plan '{input.plan_title}' "
            f"({input.plan_id}) has been overdue since {data.get('overdue_since')} "
            "and is escalated to the head of administration and the programme managers."
        )
    else:
        kind = str(data.get("kind", "reminder"))
        if kind == "due_soon":
            subject = f"[A-CIP {input.plan_id}] Milestone '{milestone}' is due on {due}"
            body = (
                f"Reminder: the milestone '{milestone}' of the action plan "
                f"'{input.plan_title}' ({input.plan_id}) is due on {due}."
            )
        else:
            subject = f"[A-CIP {input.plan_id}] Milestone '{milestone}' is overdue"
            body = (
                f"The milestone '{milestone}' of the action plan '{input.plan_title}' "
                f"({input.plan_id}) was due on {due} and is not completed. Please report "
                "progress or ask the programme manager to reschedule it."
            )
    return kind, subject, body


class NotificationActivities:
    def __init__(self, pool: asyncpg.Pool, smtp: SmtpSettings | None) -> None:
        self._pool = pool
        self._smtp = smtp

    async def _recipients(self, input: NotificationInput) -> list[Recipient]:
        if input.event.type == "milestone_escalated":
            query = """
                SELECT name, role, email FROM users WHERE revoked_at IS NULL AND (
                    (role = 'head_of_administration' AND country = $1)
                    OR role = 'programme_manager')
                ORDER BY name"""
        else:
            query = """
                SELECT name, role, email FROM users
                WHERE revoked_at IS NULL AND role = 'focal_point' AND country = $1
                ORDER BY name"""
        rows = await self._pool.fetch(query, input.country)
        return [Recipient(row["name"], row["role"], row["email"]) for row in rows]

    @activity.defn(name=DELIVER_NOTIFICATION)
    async def deliver_notification(self, input: NotificationInput) -> NotificationResult:
        kind, subject, body = compose(input)
        recipients = await self._recipients(input)
        bound = log.bind(plan_id=input.plan_id, event_id=str(input.event.event_id), kind=kind)
        if not recipients:
            bound.warning("notification has no recipient", country=input.country)
        emails_sent = 0
        for recipient in recipients:
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
            await self._send(recipient.email, subject, body)
            await self._pool.execute(
                "UPDATE notifications SET status = 'sent', sent_at = now() "
                "WHERE notification_id = $1",
                row["notification_id"],
            )
            emails_sent += 1
        bound.info("notification delivered", recipients=[r.name for r in recipients])
        return NotificationResult(recipients=[r.name for r in recipients], emails_sent=emails_sent)

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
        )
