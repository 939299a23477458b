"""`acip report verify REPORT.zip`: is this report exactly what the record gives?

Exit codes as `acip audit verify`: 0 intact, 1 differs (each differing file named),
2 unreadable (not a report .zip), 3 not found (no such report on the record).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import asyncpg
import typer

from workers.cli_projections import fail, say, with_pool

report_app = typer.Typer(help="Donor reports: check an issued report against the record.")

EXIT_DIFFERS = 1
EXIT_UNREADABLE = 2
EXIT_NOT_FOUND = 3


@dataclass(frozen=True)
class Verdict:
    found: bool
    problems: list[str]
    differing_files: list[str]


@report_app.command("verify")
def verify(
    bundle_path: Path = typer.Argument(..., help="The report's .zip as it was sent."),
) -> None:
    """Recompute every number from the history the report pins and compare the files."""
    from api.reporting import PinMismatchError, issued_record, recompute
    from reports import check_bundle, read_bundle
    from reports.bundle import BundleUnreadableError

    try:
        bundle = read_bundle(bundle_path.read_bytes())
    except OSError as error:
        fail(f"cannot read {bundle_path}: {error.strerror or error}", EXIT_UNREADABLE)
    except BundleUnreadableError as error:
        fail(f"{bundle_path} is not a report: {error}", EXIT_UNREADABLE)
    report_id = str(bundle.manifest.get("report_id", ""))

    async def action(pool: asyncpg.Pool) -> Verdict:
        from eventstore import PostgresEventStore

        store = PostgresEventStore(pool)
        record = await issued_record(store, report_id) if report_id.isalnum() else None
        if record is None:
            return Verdict(found=False, problems=[], differing_files=[])
        try:
            recomputed = await recompute(store, bundle.manifest)
        except (PinMismatchError, KeyError, ValueError) as mismatch:
            return Verdict(True, [f"cannot recompute the report: {mismatch}"], [])
        check = check_bundle(bundle, recomputed, record["manifest_sha256"])
        return Verdict(True, check.problems, check.differing_files)

    # A store that cannot be read is "unreadable" (2), never "differs" (1).
    verdict = with_pool(action, failure_status=EXIT_UNREADABLE)
    if not verdict.found:
        fail(f"report {report_id or '(unnamed)'} was never issued on this record", EXIT_NOT_FOUND)
    if verdict.problems:
        for problem in verdict.problems:
            say(f"  {problem}")
        named = ", ".join(verdict.differing_files) or "the report"
        fail(f"DIFFERS: {named}", EXIT_DIFFERS)
    manifest = bundle.manifest
    say(
        f"intact: report {report_id} ({len(manifest['plans'])} plan(s), as of "
        f"{manifest['as_of']}) is exactly what the record gives; manifest SHA-256 "
        f"{bundle.manifest_sha256}"
    )


@report_app.command("reverify")
def reverify() -> None:
    """Recompute every issued report from the record and keep each result (the background
    pass the Reports page and GET /reports show; run it from cron, e.g. nightly)."""
    from api.report_checks import reports_with_checks

    async def action(pool: asyncpg.Pool) -> list[tuple[str, bool, list[str]]]:
        from eventstore import PostgresEventStore

        found = await reports_with_checks(pool, PostgresEventStore(pool), reverify=True)
        return [(record["report_id"], check.ok, check.problems) for record, check in found]

    results = with_pool(action, failure_status=EXIT_UNREADABLE)
    for report_id, ok, problems in results:
        say(f"{report_id}: {'verifies' if ok else 'DIFFERS: ' + '; '.join(problems)}")
    if not all(ok for _, ok, _ in results):
        fail(f"{sum(not ok for _, ok, _ in results)} report(s) differ", EXIT_DIFFERS)
