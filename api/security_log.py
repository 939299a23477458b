"""The security record for auditors: sign-ins that succeeded or failed, second factors
reset, tokens used from an address they were never used from, sessions ended everywhere.
One append-only, hash-chained stream per UTC day (``security-2026-12-01``), so the Merkle
log and the witness cover it like every other stream. Never a password, code or token.

A failed sign-in names the account only when one exists for what was typed; otherwise it
keeps what was typed (cut short), which the auditor needs to see a guessing run.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import structlog

from eventstore import ANY, EventStore, NewEvent

log = structlog.get_logger(__name__)

PREFIX = "security-"
KINDS = frozenset(
    {
        "sign_in_succeeded",
        "sign_in_failed",
        "second_factor_failed",
        "second_factor_reset",
        "token_used_from_new_address",
        "signed_out_everywhere",
        "password_reset_requested",
        "sso_access_ended",
    }
)


def stream_for(day: date) -> str:
    return f"{PREFIX}{day.isoformat()}"


async def note(store: EventStore, kind: str, *, address: str, **data: Any) -> None:
    """Append one security event; a failure to record is logged loudly but never changes
    the answer the person gets (as with refused attempts)."""
    assert kind in KINDS, kind
    now = datetime.now(UTC)
    event = NewEvent(
        event_id=uuid.uuid4(),
        type=kind,
        data={"address": address, **data},
        metadata={"actor": data.get("account") or "anonymous", "role": "system"},
        occurred_at=now,
    )
    try:
        await store.append(stream_for(now.date()), ANY, [event])
    except (asyncpg.PostgresError, OSError) as failure:
        log.error("security event NOT recorded", kind=kind, error=str(failure))


async def events_of_day(store: EventStore, day: date) -> list[dict[str, Any]]:
    rows = await store.read_stream_raw(stream_for(day))
    return [
        {
            "type": row["type"],
            "occurred_at": row["occurred_at"].isoformat(),
            "version": row["version"],
            "hash": row["hash"],
            **row["data"],
        }
        for row in rows
    ]
