"""Each issued report's last verification, kept in ``report_verifications`` (jsonb columns
are encoded and decoded by the pool's codec, eventstore.init_connection).

A report is verified right after it is issued (beside the answer), again on demand, and
by a background pass (``acip report reverify``); listing reports reads the stored results
instead of refolding every pinned plan of every report on each view. A report with no
stored result yet (issued before the table existed) is verified on first listing.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from api.reporting import issued_reports, recheck_issued
from eventstore import EventStore
from reports.bundle import BundleCheck


@dataclass(frozen=True)
class StoredCheck:
    ok: bool
    problems: list[str]
    differing_files: list[str]
    verified_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problems": self.problems,
            "differing_files": self.differing_files,
            "verified_at": self.verified_at,
        }


_UPSERT = """
INSERT INTO report_verifications (report_id, ok, problems, differing_files)
VALUES ($1, $2, $3, $4)
ON CONFLICT (report_id) DO UPDATE
   SET ok = EXCLUDED.ok, problems = EXCLUDED.problems,
       differing_files = EXCLUDED.differing_files, verified_at = clock_timestamp()
RETURNING verified_at
"""
_FIRST = """
INSERT INTO report_verifications (report_id, ok, problems, differing_files)
VALUES ($1, $2, $3, $4) ON CONFLICT (report_id) DO NOTHING
"""
# Verifications started at issue, held so they are not collected while they run.
_AT_ISSUE: set[asyncio.Task[None]] = set()
log = logging.getLogger(__name__)


async def store_check(pool: asyncpg.Pool, report_id: str, check: BundleCheck) -> StoredCheck:
    row = await pool.fetchrow(
        _UPSERT,
        report_id,
        check.ok,
        check.problems,
        check.differing_files,
    )
    assert row is not None
    return StoredCheck(check.ok, check.problems, check.differing_files, row["verified_at"])


async def stored_checks(pool: asyncpg.Pool) -> dict[str, StoredCheck]:
    rows = await pool.fetch(
        "SELECT report_id, ok, problems, differing_files, verified_at FROM report_verifications"
    )
    return {
        row["report_id"]: StoredCheck(
            row["ok"],
            list(row["problems"]),
            list(row["differing_files"]),
            row["verified_at"],
        )
        for row in rows
    }


async def verify_now(pool: asyncpg.Pool, store: EventStore, record: dict[str, Any]) -> StoredCheck:
    """Recompute one issued report from the record now, and keep the result."""
    return await store_check(pool, record["report_id"], await recheck_issued(store, record))


def verify_after_issue(pool: asyncpg.Pool, store: EventStore, record: dict[str, Any]) -> None:
    """The first verification of a report just issued, run beside the answer (a report is
    issued from the read models' states; this folds every pinned plan from its events).
    Kept only if no verification was stored meanwhile (a listing verifies one it lacks)."""

    async def first() -> None:
        try:
            check = await recheck_issued(store, record)
            await pool.execute(
                _FIRST, record["report_id"], check.ok, check.problems, check.differing_files
            )
        except Exception:  # the listing verifies it later; the issue already succeeded
            log.exception("verifying report %s after issue failed", record["report_id"])

    task = asyncio.create_task(first())
    _AT_ISSUE.add(task)
    task.add_done_callback(_AT_ISSUE.discard)


async def reports_with_checks(
    pool: asyncpg.Pool, store: EventStore, *, reverify: bool = False
) -> list[tuple[dict[str, Any], StoredCheck]]:
    """Every issued report (newest first) with its last verification; ``reverify``
    recomputes each now (the background pass and ``?verify=true``)."""
    checks = {} if reverify else await stored_checks(pool)
    found = []
    for record in await issued_reports(store):
        check = checks.get(record["report_id"])
        if check is None:
            check = await verify_now(pool, store, record)
        found.append((record, check))
    return found
