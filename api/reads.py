"""The API's one door to the read models (projections/) and the event store.

Routes and dashboard pages call these functions only, so the shape of a read model is
mapped to JSON in one place. Every function returns JSON-ready values.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
from fastapi.encoders import jsonable_encoder

from activities.notification_records import list_notifications
from eventstore import EventStore, VerifyReport
from locales.catalogs import SOURCE_LANGUAGE
from locales.describe import describe_in
from projections import queries
from projections.checkpoints import read_checkpoint
from projections.history import replay_plan
from projections.plans import PlanProjection

# The plan folded from its stored events up to an instant (recorded_at) or a version, with
# the same domain code the workflow runs; None if no event qualifies.
replay = replay_plan


def jsonable(value: Any) -> Any:
    return jsonable_encoder(value)


async def list_plans(
    pool: asyncpg.Pool,
    countries: list[str] | None,
    phase: str | None,
    limit: int,
    offset: int,
    donor: str | None = None,
) -> list[dict[str, Any]]:
    plans = await queries.list_plans(
        pool, countries=countries, phase=phase, limit=limit, offset=offset, donor=donor
    )
    return [jsonable(p) for p in plans]


async def plan_summary(pool: asyncpg.Pool, plan_id: str) -> dict[str, Any] | None:
    summary = await queries.get_plan_summary(pool, plan_id)
    return None if summary is None else jsonable(summary)


async def milestones(pool: asyncpg.Pool, plan_id: str) -> list[dict[str, Any]]:
    return [jsonable(m) for m in await queries.list_milestones(pool, plan_id)]


async def indicators(pool: asyncpg.Pool, plan_id: str) -> list[dict[str, Any]]:
    return [jsonable(i) for i in await queries.list_indicators(pool, plan_id)]


async def benchmarks(pool: asyncpg.Pool, plan_id: str) -> list[dict[str, Any]]:
    return [jsonable(b) for b in await queries.get_benchmarks(pool, plan_id)]


async def audit_trail(
    store: EventStore, plan_id: str, limit: int, offset: int, language: str = SOURCE_LANGUAGE
) -> dict[str, Any]:
    """``{"plan_id", "total", "limit", "offset", "entries": [...]}``, oldest first, each
    entry's ``description`` in ``language`` (what people wrote inside it stays as written;
    ``type``, ``data`` and the codes in it stay codes)."""
    trail = jsonable(await queries.audit_trail(store, plan_id, limit=limit, offset=offset))
    if language != SOURCE_LANGUAGE:
        for entry in trail["entries"]:
            entry["description"] = describe_in(
                language,
                entry["type"],
                entry["data"],
                entry["schema_version"],
                entry["actor"],
                fallback=entry["description"],
            )
    return trail


async def overdue_milestones(
    pool: asyncpg.Pool,
    countries: list[str] | None,
    limit: int = 500,
    offset: int = 0,
    donor: str | None = None,
) -> list[dict[str, Any]]:
    found = await queries.overdue_milestones(
        pool, countries=countries, limit=limit, offset=offset, donor=donor
    )
    today = datetime.now(UTC)
    # How long, for people who read "overdue since" and count days in their head.
    return [{**jsonable(m), "days_overdue": max(0, (today - m.overdue_since).days)} for m in found]


async def notifications(
    pool: asyncpg.Pool,
    countries: list[str] | None,
    plan_id: str | None,
    limit: int,
    offset: int,
    *,
    status: str | None = None,
) -> list[dict[str, Any]]:
    found = await list_notifications(
        pool, countries=countries, plan_id=plan_id, status=status, limit=limit, offset=offset
    )
    return [jsonable(n) for n in found]


async def stored_events(
    store: EventStore, plan_id: str, after_version: int, limit: int
) -> list[dict[str, Any]]:
    """Events exactly as stored (not upcast), with their hashes: what an auditor re-hashes."""
    rows = await store.read_stream_raw(f"plan-{plan_id}")
    return [jsonable(r) for r in rows if r["version"] > after_version][:limit]


async def verify(store: EventStore, plan_id: str | None) -> VerifyReport:
    stream = None if plan_id is None else f"plan-{plan_id}"
    return await store.verify(stream)


async def wait_for_projection(pool: asyncpg.Pool, position: int, seconds: float = 3.0) -> bool:
    """Read-your-writes for the dashboard: wait (briefly) until the projector has applied
    the command's last event, so the page shown after a form reflects it."""
    deadline = time.monotonic() + seconds
    while True:
        checkpoint = await read_checkpoint(pool, PlanProjection.name)
        if checkpoint.position >= position:
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
