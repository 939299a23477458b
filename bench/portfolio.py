"""The portfolio: its read (p95) against a plain plan list, and the rebuild with the trend
against the same rebuild with no trend work, in the same run.

    python -m bench.portfolio     (ACIP_BENCH_DATABASE_URL to use an existing server)

ACIP_BENCH_KEEP_DATABASE=NAME (with ACIP_BENCH_DATABASE_URL) keeps the generated database
under that name and, on the next run, reuses it instead of generating the plans again
(generating 2,000 plans takes minutes); ACIP_BENCH_ROUNDS=0 then skips the rebuilds and
only reads.

Generates ACIP_BENCH_PLANS (2,000) plan histories with the domain's own rules
(testkit.synthetic; business times over 2019-2023; with ACIP_BENCH_YEARS=10, plans of ten
years, testkit.long_history, business times over 2007-2026) and gives their events the times they
describe (recorded_at := occurred_at, on the bench's own database), so every plan has
quarter ends to fix. Then, ACIP_BENCH_ROUNDS times (best round kept):
  plain rebuild  projections.rebuild with the trend switched off (no quarter end is ever
                 found between two events): the floor
  trend rebuild  the same rebuild as shipped, writing the trend table too
and ACIP_BENCH_READS reads of each, interleaved:
  plan list      projections.queries.list_plans of every plan (summary rows only)
  portfolio      what GET /portfolio does: the first page of the grid (100 plans), the
                 totals and the trend across every plan counted in SQL, validated into
                 the API's model and encoded as JSON
  unchanged      GET /portfolio again with no event projected since: the totals counted
                 for that state are reused (api.routes_portfolio.portfolio_state)
  page           what /ui/portfolio reads: the same for its page of 50 plans, plus those
                 plans' own trends (their strips)
  region, donor  GET /portfolio of one WCO region (Europe: its countries), of the donor
                 funding the most plans (a donor counts its plans' trend rows)
  every trend    projections.portfolio.portfolio: every plan with its own trend (what the
                 downloads read; what the portfolio read was before)
Targets (issue 16): portfolio p95 under 300 ms; trend rebuild >= 0.5x the plain rebuild.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import asyncpg

import projections.plans
from api.context import ApiContext
from api.routes_portfolio import portfolio_answer, portfolio_state
from api.schemas import Portfolio
from bench._common import (
    best_of,
    emit,
    environment,
    fresh_database,
    kept_database,
    postgres_server,
)
from bench.rebuild import YEARS, _load
from domain.regions import Region, region_countries
from eventstore import PostgresEventStore, init_connection
from projections import queries
from projections.portfolio import PortfolioFilter, plan_trends, portfolio
from projections.rebuild import rebuild

PLANS = int(os.environ.get("ACIP_BENCH_PLANS", "2000"))
ROUNDS = int(os.environ.get("ACIP_BENCH_ROUNDS", "3"))
READS = int(os.environ.get("ACIP_BENCH_READS", "40"))
# Reading every plan's trend takes seconds at 2,000 plans: a few reads are enough.
EVERY_READS = int(os.environ.get("ACIP_BENCH_EVERY_READS", "3"))
TARGET_P95_MS = 300
TARGET_RATIO = 0.5


def _no_quarter_ends(after: datetime, up_to: datetime) -> Iterator[Any]:
    return iter(())


async def _rebuild(pool: asyncpg.Pool, store: PostgresEventStore, *, trend: bool) -> float:
    shipped = projections.plans.quarter_ends_between
    if not trend:
        projections.plans.quarter_ends_between = _no_quarter_ends
    try:
        return (await rebuild(pool, store)).seconds
    finally:
        projections.plans.quarter_ends_between = shipped


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


async def _generate(pool: asyncpg.Pool, store: PostgresEventStore) -> int:
    events = await _load(store)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("ALTER TABLE events DISABLE TRIGGER events_refuse_update_delete")
        await conn.execute("UPDATE events SET recorded_at = occurred_at")
        await conn.execute("ALTER TABLE events ENABLE TRIGGER events_refuse_update_delete")
    await pool.execute("VACUUM ANALYZE events")
    return events


async def run(url: str, *, generated: bool = False) -> dict[str, Any]:
    pool = await asyncpg.create_pool(url, min_size=2, max_size=6, init=init_connection)
    assert pool is not None
    store = PostgresEventStore(pool)
    started = time.perf_counter()
    if generated:
        events = await pool.fetchval("SELECT count(*) FROM events")
        print(f"{events} events reused from the kept database")
    else:
        events = await _generate(pool, store)
        print(f"{events} events of {PLANS} plans, back-dated to their business times")
    generate_seconds = time.perf_counter() - started
    plain_times, trend_times = [], []
    for round_ in range(1, ROUNDS + 1):
        plain_times.append(await _rebuild(pool, store, trend=False))
        trend_times.append(await _rebuild(pool, store, trend=True))
        print(f"round {round_}: plain {plain_times[-1]:.2f} s, trend {trend_times[-1]:.2f} s")
    trend_rows = await pool.fetchval("SELECT count(*) FROM rm_plans.trend")
    await pool.execute("VACUUM ANALYZE rm_plans.trend")
    context = cast(ApiContext, SimpleNamespace(pool=pool))
    donor = await pool.fetchval(
        "SELECT d FROM rm_plans.summary, unnest(donors) AS d GROUP BY d ORDER BY count(*) DESC"
    )
    reads_of = ("list", "api", "again", "page", "region", "donor", "every")
    timings: dict[str, list[float]] = {n: [] for n in reads_of}

    async def api_read() -> None:
        answer = await portfolio_answer(
            context, PortfolioFilter(), limit=100, offset=0, now=datetime.now(UTC)
        )
        assert answer["total"] == PLANS
        Portfolio.model_validate(answer).model_dump_json()

    async def remembered_read() -> None:
        now = datetime.now(UTC)
        state = await portfolio_state(context, PortfolioFilter(), now)
        answer = await portfolio_answer(
            context, PortfolioFilter(), limit=100, offset=0, now=now, state=state
        )
        Portfolio.model_validate(answer).model_dump_json()

    async def page_read() -> None:
        now = datetime.now(UTC)
        answer = await portfolio_answer(context, PortfolioFilter(), limit=50, offset=0, now=now)
        await plan_trends(pool, [p.plan_id for p in answer["plans"]], now=now)

    async def chosen_read(chosen: PortfolioFilter) -> None:
        answer = await portfolio_answer(context, chosen, limit=100, offset=0, now=datetime.now(UTC))
        Portfolio.model_validate(answer).model_dump_json()

    async def region_read() -> None:
        await chosen_read(PortfolioFilter(countries=region_countries(Region.EUROPE)))

    async def donor_read() -> None:
        await chosen_read(PortfolioFilter(donor=donor))

    async def list_read() -> None:
        assert len(await queries.list_plans(pool, limit=PLANS)) == PLANS

    async def every_read() -> None:
        assert len(await portfolio(pool)) == PLANS

    reads = {
        "list": list_read,
        "api": api_read,
        "again": remembered_read,
        "page": page_read,
        "region": region_read,
        "donor": donor_read,
        "every": every_read,
    }
    for index in range(READS):
        for name, read in reads.items():
            if name == "every" and index >= EVERY_READS:
                continue
            started = time.perf_counter()
            await read()
            timings[name].append((time.perf_counter() - started) * 1000)
    await pool.close()
    if not plain_times:  # a kept database read again: no rebuild this run
        plain_times, trend_times = [float("nan")], [float("nan")]
    plain, trend = best_of(plain_times), best_of(trend_times)
    return {
        "events": events,
        "plans": PLANS,
        "years": YEARS or "1-2",
        "generate_seconds": None if generated else round(generate_seconds, 1),
        "trend_rows": trend_rows,
        "plain_rebuild_seconds": round(plain, 3),
        "trend_rebuild_seconds": round(trend, 3),
        "trend_over_plain": round(plain / trend, 3),
        "plan_list_p95_ms": round(p95(timings["list"]), 1),
        "portfolio_p95_ms": round(p95(timings["api"]), 1),
        "portfolio_unchanged_p95_ms": round(p95(timings["again"]), 1),
        "portfolio_page_p95_ms": round(p95(timings["page"]), 1),
        "portfolio_region_p95_ms": round(p95(timings["region"]), 1),
        "portfolio_donor_p95_ms": round(p95(timings["donor"]), 1),
        "donor": donor,
        "every_plan_with_trend_p95_ms": round(p95(timings["every"]), 1),
    }


def main() -> None:
    kept = os.environ.get("ACIP_BENCH_KEEP_DATABASE")
    with postgres_server() as server_url:
        if kept:
            url, generated = asyncio.run(kept_database(server_url, kept))
        else:
            url, generated = asyncio.run(fresh_database(server_url)), False
        results = asyncio.run(run(url, generated=generated))
    met = (
        results["portfolio_p95_ms"] < TARGET_P95_MS
        and results["portfolio_page_p95_ms"] < TARGET_P95_MS
        and results["trend_over_plain"] >= TARGET_RATIO
    )
    emit(
        {
            "benchmark": "portfolio",
            "rounds": ROUNDS,
            "environment": environment(),
            "results": results,
            "targets": {"portfolio_p95_ms": TARGET_P95_MS, "trend_over_plain": TARGET_RATIO},
            "met": met,
        }
    )


if __name__ == "__main__":
    main()
