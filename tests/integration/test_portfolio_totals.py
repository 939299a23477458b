"""The trend across the plans as the projector keeps it (projections.trend_totals): the same
counts kept incrementally, rebuilt, and counted from every trend row; and the portfolio's
trend across the plans, for every kind of filter (all, a country, a region's countries, a
phase, a donor), equal to the plans' own trends added up (which test_portfolio compares
with replays of the history as of each quarter end).

Known histories: multi-year plans made by the domain's own rules (testkit.long_history:
quarterly measurements, changes of donors), back-dated to the times they describe.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from eventstore import PostgresEventStore
from projections.portfolio import PortfolioFilter, portfolio
from projections.portfolio_totals import portfolio_totals
from projections.projector import Projector
from projections.rebuild import rebuild
from projections.trend_totals import kept_trend_totals, scanned_trend_totals
from testkit.long_history import long_plan_history
from testkit.synthetic import append_histories
from tests.support.pools import event_pool

NOW = datetime(2026, 2, 10, 12, tzinfo=UTC)
PLANS = 6


@pytest.fixture
async def pool(fresh_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with event_pool(fresh_database_url, max_size=4) as created:
        yield created


@pytest.fixture
async def store(pool: asyncpg.Pool) -> PostgresEventStore:
    store = PostgresEventStore(pool)
    histories = [long_plan_history(i, seed=5, years=3) for i in range(PLANS)]
    await append_histories(store, histories, writers=1)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("ALTER TABLE events DISABLE TRIGGER events_refuse_update_delete")
        await conn.execute("UPDATE events SET recorded_at = occurred_at")
        await conn.execute("ALTER TABLE events ENABLE TRIGGER events_refuse_update_delete")
    return store


async def test_kept_totals_equal_a_scan_incrementally_and_rebuilt(
    pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    # Small batches: the same (country, quarter end, key factor, status) is added to by
    # several writes.
    await Projector(pool, store, batch_size=11).catch_up()
    incremental = await kept_trend_totals(pool, "rm_plans")
    assert incremental == await scanned_trend_totals(pool, "rm_plans")
    per_country = incremental["trend_country_totals"]
    assert len({row[0] for row in per_country}) == PLANS  # a country each
    # Every trend row is counted once, in each table.
    rows = await pool.fetchval("SELECT count(*) FROM rm_plans.trend")
    assert rows > 0
    assert sum(row[-1] for row in per_country) == rows
    assert sum(row[-1] for row in incremental["trend_totals"]) == rows
    await rebuild(pool, store, page_size=40, max_states=2)
    assert await kept_trend_totals(pool, "rm_plans") == incremental


def _chosen_kinds(plans: list[Any]) -> list[PortfolioFilter]:
    donors = Counter(d for p in plans for d in p.donors)
    phases = Counter(p.phase.value for p in plans)
    return [
        PortfolioFilter(),
        PortfolioFilter(countries=[plans[0].country]),
        PortfolioFilter(countries=[p.country for p in plans[1:4]]),  # a region's share
        PortfolioFilter(countries=["ZZZ"]),  # no plan
        PortfolioFilter(phase=phases.most_common(1)[0][0]),
        PortfolioFilter(donor=donors.most_common(1)[0][0]),
        PortfolioFilter(countries=[p.country for p in plans[:3]], donor=min(donors)),
    ]


@pytest.mark.parametrize("rebuilt", [False, True])
async def test_trend_across_plans_adds_up_their_own_for_every_filter(
    pool: asyncpg.Pool, store: PostgresEventStore, rebuilt: bool
) -> None:
    await Projector(pool, store, batch_size=23).catch_up()
    if rebuilt:
        await rebuild(pool, store, page_size=40, max_states=2)
    every = await portfolio(pool, now=NOW)
    assert len(every) == PLANS
    for chosen in _chosen_kinds(every):
        mine = await portfolio(
            pool, countries=chosen.countries, phase=chosen.phase, donor=chosen.donor, now=NOW
        )
        cells: dict[Any, Counter[Any]] = defaultdict(Counter)
        open_plans: Counter[Any] = Counter()
        for plan in mine:
            for point in plan.trend:
                cells[point.quarter_end].update(point.statuses.values())
                open_plans[point.quarter_end] += 1
        totals = await portfolio_totals(pool, chosen, now=NOW)
        assert totals.plans == len(mine)
        assert [(q.quarter_end, q.plans, q.statuses) for q in totals.trend] == [
            (q, open_plans[q], dict(cells[q])) for q in sorted(cells)
        ], chosen
    # The histories have teeth: statuses other than no data, and a donor not on every plan.
    seen = {s for plan in every for point in plan.trend for s in point.statuses.values()}
    assert seen & {"on_track", "at_risk", "off_track", "achieved"}
    assert any(len(set(p.donors)) < len({d for q in every for d in q.donors}) for p in every)
