"""Reading the ``notifications`` table: the interface through which api/ (and the CLI) see
what the deliver_notification activity recorded. The table belongs to activities/ (its
migrations create it); nobody else queries it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from pydantic import BaseModel, ConfigDict

Executor = asyncpg.Connection | PoolConnectionProxy | asyncpg.Pool


class NotificationView(BaseModel):
    """One (event, recipient) notification: ``recorded`` (no e-mail to send), ``sent``, or
    ``failed`` with the last ``error`` and how many ``attempts`` were made."""

    model_config = ConfigDict(frozen=True)

    notification_id: int
    event_id: UUID
    plan_id: str
    country: str
    kind: str
    milestone_id: str | None
    recipient: str
    recipient_role: str
    email: str | None
    subject: str
    body: str
    status: str
    error: str | None
    attempts: int = 0
    created_at: datetime
    sent_at: datetime | None
    last_attempt_at: datetime | None = None


async def list_notifications(
    pool: Executor,
    *,
    countries: list[str] | None = None,
    recipient: str | None = None,
    plan_id: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[NotificationView]:
    """What was sent to whom and what failed, newest first. ``countries`` None means every
    country, an empty list none (scoping is the caller's)."""
    rows = await pool.fetch(
        """
        SELECT notification_id, event_id, plan_id, country, kind, milestone_id, recipient,
               recipient_role, email, subject, body, status, error, attempts, created_at,
               sent_at, last_attempt_at
          FROM notifications
         WHERE ($1::text[] IS NULL OR country = ANY($1::text[]))
           AND ($2::text IS NULL OR recipient = $2)
           AND ($3::text IS NULL OR plan_id = $3)
           AND ($4::text IS NULL OR status = $4)
         ORDER BY created_at DESC, notification_id DESC LIMIT $5 OFFSET $6
        """,
        countries,
        recipient,
        plan_id,
        status,
        limit,
        offset,
    )
    return [NotificationView.model_validate(dict(row)) for row in rows]
