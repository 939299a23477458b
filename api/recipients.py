"""The user directory as notifications see it: the activities' ``RecipientDirectory`` port,
implemented on the ``users`` table this layer owns (workers/ wires it into the worker)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from activities.notifications import Recipient
from domain import Role
from domain.access import COUNTRY_SCOPED_ROLES


class UserRecipientDirectory:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def recipients_for(self, country: str, roles: Sequence[Role]) -> list[Recipient]:
        scoped = [str(role) for role in roles if role in COUNTRY_SCOPED_ROLES]
        everywhere = [str(role) for role in roles if role not in COUNTRY_SCOPED_ROLES]
        rows = await self._pool.fetch(
            """
            SELECT name, role, email, language FROM users
             WHERE revoked_at IS NULL AND status = 'active'
               AND ((role = ANY($1::text[]) AND country = $2) OR role = ANY($3::text[]))
             ORDER BY name
            """,
            scoped,
            country,
            everywhere,
        )
        return [Recipient(row["name"], row["role"], row["email"], row["language"]) for row in rows]
