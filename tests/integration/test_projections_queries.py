"""projections.queries against read models built from domain-generated histories, each
answer checked against the domain's own fold of the stored events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from activities.notification_records import list_notifications
from domain import EVENT_SCHEMA_VERSIONS, Phase, PlanState, describe, fold, parse_event
from eventstore import NewEvent, PostgresEventStore, UpcasterRegistry, init_connection
from projections import queries
from projections.projector import Projector
from projections.rebuild import rebuild
from testkit.synthetic import Append, append_histories, plan_history
from tests.integration.test_projections import snapshot
from tests.support.pools import event_pool

PLANS = 12


@pytest.fixture(scope="module")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with event_pool(database_url, max_size=8) as created:
        yield created


@pytest.fixture(scope="module")
async def store(pool: asyncpg.Pool) -> AsyncIterator[PostgresEventStore]:
    # One history for the whole module, projected once; tests only read. Every other plan
    # stops part-way (a prefix of a valid history is one), mid-implementation.
    store = PostgresEventStore(pool)
    histories = [plan_history(i, seed=21) for i in range(PLANS)]
    await append_histories(
        store, [h[: len(h) * 3 // 5] if i % 2 else h for i, h in enumerate(histories)]
    )
    result = await Projector(pool, store).catch_up()
    assert result.failure is None
    yield store


async def states(pool: asyncpg.Pool, store: PostgresEventStore) -> dict[str, PlanState]:
    """The domain's fold of every plan's stored events."""
    out = {}
    for summary in await queries.list_plans(pool, limit=1000):
        events = await store.read_stream(f"plan-{summary.plan_id}")
        state = fold(parse_event(e.type, e.data) for e in events)
        assert state is not None
        out[summary.plan_id] = state
    return out


async def test_list_plans_filters_and_pages(pool: asyncpg.Pool, store: PostgresEventStore) -> None:
    everything = await queries.list_plans(pool, limit=100)
    assert [p.plan_id for p in everything] == sorted(p.plan_id for p in everything)
    assert len(everything) == PLANS
    some = await queries.list_plans(pool, countries=["AFG", "AIA"])
    assert [p.plan_id for p in some] == ["AFG-2020", "AIA-2020"]
    assert await queries.list_plans(pool, countries=[]) == []
    closed = await queries.list_plans(pool, phase="closed", limit=100)
    assert closed and all(p.phase is Phase.CLOSED for p in closed)
    page = await queries.list_plans(pool, limit=5, offset=5)
    assert page == everything[5:10]
    assert await queries.get_plan_summary(pool, "ZZZ-2020") is None


async def test_summary_milestones_and_overdue_match_the_folded_state(
    pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    folded = await states(pool, store)
    overdue_expected = set()
    for plan_id, state in folded.items():
        summary = await queries.get_plan_summary(pool, plan_id)
        assert summary is not None
        assert summary.version == state.version
        milestones = await queries.list_milestones(pool, plan_id)
        assert [
            (m.milestone_id, m.status, m.percent, m.due_date, m.overdue_since) for m in milestones
        ] == [
            (m.milestone_id, m.status, m.percent, m.due_date, m.overdue_since)
            for m in state.milestones.values()
        ]
        assert summary.milestones_overdue == sum(m.is_overdue for m in state.milestones.values())
        if state.phase not in (Phase.CLOSED, Phase.CANCELLED):
            overdue_expected |= {
                (plan_id, m.milestone_id) for m in state.milestones.values() if m.is_overdue
            }
    assert overdue_expected, "the history should leave some milestones overdue"
    overdue = await queries.overdue_milestones(pool, limit=1000)
    assert {(o.plan_id, o.milestone_id) for o in overdue} == overdue_expected
    assert [o.overdue_since for o in overdue] == sorted(o.overdue_since for o in overdue)
    country = overdue[0].country
    scoped = await queries.overdue_milestones(pool, countries=[country], limit=1000)
    assert scoped and all(o.country == country for o in scoped)


async def test_indicators_carry_their_measurements_in_time_order(
    pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    folded = await states(pool, store)
    measured = 0
    for plan_id, state in folded.items():
        indicators = await queries.list_indicators(pool, plan_id)
        assert [i.indicator_id for i in indicators] == list(state.indicators)
        for view in indicators:
            own = state.indicators[view.indicator_id]
            assert len(view.measurements) == len(own.measurements)
            dates = [m.measured_on for m in view.measurements]
            assert dates == sorted(dates)
            assert (view.target, view.original_target) == (own.target, own.original_target)
            measured += len(view.measurements)
    assert measured > 0


async def test_audit_trail_pages_through_the_stored_events(
    pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    events = await store.read_stream("plan-AGO-2020")
    first = await queries.audit_trail(store, "AGO-2020", limit=10)
    assert first.total == len(events)
    assert [e.version for e in first.entries] == list(range(1, 11))
    middle = await queries.audit_trail(store, "AGO-2020", limit=10, offset=15)
    assert [e.version for e in middle.entries] == list(range(16, 26))
    for entry, event in zip(middle.entries, events[15:25], strict=True):
        assert (entry.event_id, entry.hash, entry.actor) == (
            event.event_id,
            event.hash,
            event.metadata["actor"],
        )
        assert entry.description == describe(parse_event(event.type, event.data), entry.actor)
    beyond = await queries.audit_trail(store, "AGO-2020", limit=10, offset=len(events))
    assert beyond.entries == []
    missing = await queries.audit_trail(store, "ZZZ-2020")
    assert (missing.total, missing.entries) == (0, [])


async def test_notifications_are_read_from_the_activity_table(
    pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    rows = [
        ("ABW-2020", "ABW", "aaa.focal", "focal_point"),
        ("ABW-2020", "ABW", "wco.manager", "programme_manager"),
        ("AFG-2020", "AFG", "aab.focal", "focal_point"),
    ]
    for plan_id, country, recipient, role in rows:
        await pool.execute(
            "INSERT INTO notifications (event_id, plan_id, country, kind, recipient,"
            " recipient_role, subject, body) VALUES ($1, $2, $3, 'overdue', $4, $5, 's', 'b')",
            uuid.uuid4(),
            plan_id,
            country,
            recipient,
            role,
        )
    everything = await list_notifications(pool)
    assert [n.recipient for n in everything] == ["aab.focal", "wco.manager", "aaa.focal"]
    assert [n.recipient for n in await list_notifications(pool, countries=["ABW"])] == [
        "wco.manager",
        "aaa.focal",
    ]
    assert [n.plan_id for n in await list_notifications(pool, recipient="aab.focal")] == [
        "AFG-2020"
    ]
    assert len(await list_notifications(pool, plan_id="ABW-2020", limit=1)) == 1


async def test_projection_status_reports_the_lag(
    pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    (caught_up,) = await queries.projection_status(pool, store)
    assert (caught_up.name, caught_up.lag_events, caught_up.lag_seconds) == ("plans", 0, 0.0)
    assert caught_up.position == caught_up.head
    appended = await append_histories(store, [plan_history(PLANS, seed=21)])
    (behind,) = await queries.projection_status(pool, store)
    assert behind.lag_events == appended
    assert behind.lag_seconds > 0
    assert behind.failure is None
    await Projector(pool, store).catch_up()


async def test_old_schema_events_are_upcast_alike_by_projector_and_rebuild(
    fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """milestone_progress_reported v1 said "pct"; the domain now reads v2 ("percent")."""
    registry = UpcasterRegistry()

    @registry.register("milestone_progress_reported", 1)
    def _pct_to_percent(data: dict[str, object]) -> dict[str, object]:
        rest = {k: v for k, v in data.items() if k != "pct"}
        return {**rest, "percent": data["pct"]}

    def as_v1(event: NewEvent) -> NewEvent:
        if event.type != "milestone_progress_reported":
            return event
        data = {k: v for k, v in event.data.items() if k != "percent"}
        return event.model_copy(
            update={"schema_version": 1, "data": {**data, "pct": event.data["percent"]}}
        )

    histories = [plan_history(i, seed=22) for i in range(6)]
    old = [
        [Append(a.stream_id, a.expected_version, [as_v1(e) for e in a.events]) for a in h]
        for h in histories
    ]
    assert any(e.schema_version == 1 and "pct" in e.data for h in old for a in h for e in a.events)
    monkeypatch.setitem(EVENT_SCHEMA_VERSIONS, "milestone_progress_reported", 2)
    pool = await asyncpg.create_pool(
        fresh_database_url, min_size=1, max_size=8, init=init_connection
    )
    assert pool is not None
    try:
        store = PostgresEventStore(pool, upcasters=registry)
        await append_histories(store, old)
        result = await Projector(pool, store).catch_up()
        assert result.failure is None
        incremental = await snapshot(pool)
        await rebuild(pool, store, page_size=100)
        assert await snapshot(pool) == incremental
    finally:
        await pool.close()
