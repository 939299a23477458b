"""The trend across the plans, kept by the projector: for every country, quarter end, key
factor and status, how many of the stored trend rows (projections.trend) have it.

A stored quarter end never changes once fixed (events are appended, never edited) and a
plan's country is set when it opens, so these counts only ever grow: every write adds the
trend rows it appends, in the same transaction (``add_trend_totals``, called by
PlanProjection.write, so the projector and the rebuild keep them alike). The portfolio's
trend across the plans of some countries (projections.portfolio_totals) then sums a few
thousand of these instead of scanning every trend row. ``scanned_trend_totals`` counts the
same from the trend table itself (the migration's first fill, the tests).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from projections.conn import Conn, Executor
from projections.rows import SUMMARY_COLUMNS, PlanRows

TREND_TOTALS_COLUMNS = ("country", "quarter_end", "key_factor", "status", "n")
_COUNTRY = SUMMARY_COLUMNS.index("country")


def count_trend_rows(rows: PlanRows) -> list[tuple[Any, ...]]:
    """The trend rows of ``rows`` counted per (country, quarter end, key factor, status).
    Every plan with trend rows changed, so its summary row (its country) is in ``rows``."""
    country = {summary[0]: summary[_COUNTRY] for summary in rows.summary}
    counts = Counter(
        (country[plan_id], quarter_end, key_factor, status)
        for plan_id, quarter_end, key_factor, status in rows.trend
    )
    return [(*key, n) for key, n in counts.items()]


async def add_trend_totals(conn: Conn, schema: str, rows: PlanRows) -> None:
    """Add the trend rows this write appends to the kept counts; inside its transaction."""
    counted = count_trend_rows(rows)
    if not counted:
        return
    columns = list(zip(*counted, strict=True))
    await conn.execute(
        f"""
        INSERT INTO {schema}.trend_totals AS kept (country, quarter_end, key_factor, status, n)
        SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::int[])
        ON CONFLICT (country, quarter_end, key_factor, status)
        DO UPDATE SET n = kept.n + EXCLUDED.n
        """,
        *columns,
    )


async def scanned_trend_totals(pool: Executor, schema: str) -> list[tuple[Any, ...]]:
    """The same counts from every trend row (slow at scale: for checks), sorted."""
    rows = await pool.fetch(
        f"""
        SELECT s.country, t.quarter_end, t.key_factor, t.status, count(*)::int AS n
          FROM {schema}.trend AS t JOIN {schema}.summary AS s USING (plan_id)
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        """
    )
    return [tuple(row) for row in rows]


async def kept_trend_totals(pool: Executor, schema: str) -> list[tuple[Any, ...]]:
    """The kept counts, sorted like ``scanned_trend_totals``."""
    rows = await pool.fetch(
        f"SELECT {', '.join(TREND_TOTALS_COLUMNS)} FROM {schema}.trend_totals ORDER BY 1, 2, 3, 4"
    )
    return [tuple(row) for row in rows]
