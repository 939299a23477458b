"""The trend across the plans, kept by the projector: for every quarter end, key factor and
status, how many of the stored trend rows (projections.trend) have it, over every plan
(``trend_totals``) and per country (``trend_country_totals``).

A stored quarter end never changes once fixed (events are appended, never edited) and a
plan's country is set when it opens, so these counts only ever grow: every write adds the
trend rows it appends, in the same transaction (``add_trend_totals``, called by
PlanProjection.write, so the projector and the rebuild keep them alike). The portfolio's
trend across the plans (projections.portfolio_totals) then sums a few thousand of these
instead of scanning every trend row. Both tables, since synthetic and real portfolios have
a handful of plans per country: per country the counts are about a third of the trend
rows, over every plan about 3,000 at ten years. The first write into empty counts (a
rebuild's, holding most trend rows) counts in one GROUP BY in the server instead.
``scanned_trend_totals`` counts the same from the trend table itself (for the tests).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from projections.conn import Conn, Executor
from projections.rows import SUMMARY_COLUMNS, PlanRows

_COUNTRY = SUMMARY_COLUMNS.index("country")
_UPSERT = """
    INSERT INTO {schema}.{table} AS kept ({keys}, n)
    SELECT * FROM unnest({arrays})
    ON CONFLICT ({keys}) DO UPDATE SET n = kept.n + EXCLUDED.n
"""
_KEYS = {
    "trend_totals": ("quarter_end", "key_factor", "status"),
    "trend_country_totals": ("country", "quarter_end", "key_factor", "status"),
}
_TYPES = {"country": "text", "quarter_end": "date", "key_factor": "text", "status": "text"}


def count_trend_rows(rows: PlanRows) -> dict[str, list[tuple[Any, ...]]]:
    """The trend rows of ``rows`` counted per key of each table (``_KEYS``). Every plan
    with trend rows changed, so its summary row (its country) is in ``rows``."""
    country = {summary[0]: summary[_COUNTRY] for summary in rows.summary}
    per_country = Counter(
        (country[plan_id], quarter_end, key_factor, status)
        for plan_id, quarter_end, key_factor, status in rows.trend
    )
    every: Counter[tuple[Any, ...]] = Counter()
    for (_, *key), n in per_country.items():
        every[tuple(key)] += n
    return {
        "trend_totals": [(*key, n) for key, n in every.items()],
        "trend_country_totals": [(*key, n) for key, n in per_country.items()],
    }


_FILL = """
    INSERT INTO {schema}.trend_country_totals (country, quarter_end, key_factor, status, n)
    SELECT s.country, t.quarter_end, t.key_factor, t.status, count(*)
      FROM {schema}.trend AS t JOIN {schema}.summary AS s USING (plan_id)
     GROUP BY 1, 2, 3, 4;
    INSERT INTO {schema}.trend_totals (quarter_end, key_factor, status, n)
    SELECT quarter_end, key_factor, status, sum(n)
      FROM {schema}.trend_country_totals GROUP BY 1, 2, 3;
"""


async def add_trend_totals(conn: Conn, schema: str, rows: PlanRows) -> None:
    """Add the trend rows this write appends (already copied) to the kept counts; inside
    its transaction."""
    if not rows.trend:
        return
    if not await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {schema}.trend_totals)"):
        # Nothing counted yet, so every trend row is this write's (a rebuild's first
        # write: most of them): one GROUP BY in the server, as migration 0004 fills them.
        await conn.execute(_FILL.format(schema=schema))
        return
    for table, counted in count_trend_rows(rows).items():
        keys = _KEYS[table]
        types = [_TYPES[k] for k in keys] + ["int"]
        arrays = ", ".join(f"${i}::{t}[]" for i, t in enumerate(types, start=1))
        sql = _UPSERT.format(schema=schema, table=table, keys=", ".join(keys), arrays=arrays)
        await conn.execute(sql, *zip(*counted, strict=True))


async def scanned_trend_totals(pool: Executor, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    """The same counts from every trend row (slow at scale: for checks), sorted."""
    per_country = await pool.fetch(
        f"""
        SELECT s.country, t.quarter_end, t.key_factor, t.status, count(*)::int AS n
          FROM {schema}.trend AS t JOIN {schema}.summary AS s USING (plan_id)
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        """
    )
    every = await pool.fetch(
        f"SELECT quarter_end, key_factor, status, count(*)::int AS n FROM {schema}.trend"
        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    )
    return {
        "trend_totals": [tuple(row) for row in every],
        "trend_country_totals": [tuple(row) for row in per_country],
    }


async def kept_trend_totals(pool: Executor, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    """The kept counts, sorted like ``scanned_trend_totals``."""
    kept = {}
    for table, keys in _KEYS.items():
        columns = ", ".join((*keys, "n"))
        order = ", ".join(str(i) for i in range(1, len(keys) + 1))
        rows = await pool.fetch(f"SELECT {columns} FROM {schema}.{table} ORDER BY {order}")
        kept[table] = [tuple(row) for row in rows]
    return kept
