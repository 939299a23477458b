"""Events stored in schema version 1 (by, opened_by, recorded_at as business time …) stay
readable as version 2 (actor, at) and their stored hashes still verify: verification and
exports hash the rows as stored, readers upcast on the way in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from domain import EVENT_SCHEMA_VERSIONS, describe, fold, parse_event
from domain.upcasters import UPCASTERS
from eventstore import NO_STREAM, NewEvent, PostgresEventStore, UpcasterRegistry
from projections.export import export_plan, verify_export
from projections.history import replay_plan

PLAN_ID = f"GHA-{2100 + uuid.uuid4().int % 800}"
OPENED_AT = "2026-01-02T09:00:00+00:00"

# What the product wrote before the field names were made uniform, byte for byte in shape.
V1_EVENTS: list[tuple[str, dict[str, Any]]] = [
    (
        "plan_opened",
        {
            "plan_id": PLAN_ID,
            "country": "GHA",
            "administration": "Ghana Revenue Authority",
            "title": "Integrity plan",
            "period_start": f"{PLAN_ID[-4:]}-01-01",
            "period_end": f"{PLAN_ID[-4:]}-12-31",
            "reminder_policy": {
                "due_soon_days": 7, "repeat_every_days": 7, "escalate_after_days": 14
            },
            "opened_by": "pat.manager",
            "opened_at": OPENED_AT,
        },
    ),
    (
        "diagnostic_finding_recorded",
        {
            "key_factor": "automation",
            "maturity": 2,
            "summary": "Paper declarations",
            "recorded_by": "kofi.focal",
            "at": "2026-01-03T09:00:00+00:00",
        },
    ),
    (
        "plan_cancelled",
        {"reason": "Superseded", "by": "pat.manager", "at": "2026-01-04T09:00:00+00:00"},
    ),
]  # fmt: skip


def _v1(type_: str, data: dict[str, Any]) -> NewEvent:
    return NewEvent(
        event_id=uuid.uuid4(),
        type=type_,
        schema_version=1,
        data=data,
        metadata={"actor": data.get("opened_by") or data.get("recorded_by") or data.get("by")},
        occurred_at=datetime.now(UTC),
    )


async def test_old_shape_events_verify_as_stored_and_load_upcast(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    # Every one of them has moved on since v1 (plan_opened twice: the rename, then donors).
    assert all(EVENT_SCHEMA_VERSIONS[type_] >= 2 for type_, _ in V1_EVENTS)
    raw_store = PostgresEventStore(pool)
    await raw_store.append(f"plan-{PLAN_ID}", NO_STREAM, [_v1(t, d) for t, d in V1_EVENTS])

    # The hash chain covers the stored v1 payloads: intact, in the store and in an export.
    report = await raw_store.verify(f"plan-{PLAN_ID}")
    assert report.ok, report
    await export_plan(pool, raw_store, PLAN_ID, tmp_path / "export")
    assert verify_export(tmp_path / "export").ok

    # A store without upcasters hands out v1 rows; the domain upcasts them by version.
    stored = await raw_store.read_stream(f"plan-{PLAN_ID}")
    assert [e.schema_version for e in stored] == [1, 1, 1]
    assert "opened_by" in stored[0].data
    state = fold(parse_event(e.type, e.data, e.schema_version) for e in stored)
    assert state is not None
    assert (state.opened_by, state.opened_at.isoformat()) == ("pat.manager", OPENED_AT)
    assert state.findings["automation"].recorded_by == "kofi.focal"  # type: ignore[index]
    assert state.phase == "cancelled"

    # A store with the domain's upcasters hands out current rows (plan_opened v3: donors
    # came after the actor's rename), and the same state.
    upcasting = PostgresEventStore(pool, upcasters=UpcasterRegistry.of(UPCASTERS))
    current = await upcasting.read_stream(f"plan-{PLAN_ID}")
    assert [e.schema_version for e in current] == [3, 2, 2]
    assert current[0].data["actor"] == "pat.manager" and "opened_by" not in current[0].data
    assert current[0].data["donors"] == []
    assert fold(parse_event(e.type, e.data) for e in current) == state
    assert describe(parse_event(current[2].type, current[2].data)) == (
        "pat.manager cancelled the plan: Superseded."
    )
    # ... while verification, which reads raw rows, still agrees with the stored hashes.
    assert (await upcasting.verify(f"plan-{PLAN_ID}")).ok

    # History replay folds the stored events with the same domain code.
    replayed = await replay_plan(raw_store, PLAN_ID, version=2)
    assert replayed is not None and replayed.state.phase == "diagnostic"
