"""One programme-wide annual report, against the plain replay of the same plans.

    python -m bench.report       (ACIP_BENCH_DATABASE_URL to use an existing server)

ACIP_BENCH_KEEP_DATABASE=NAME (with ACIP_BENCH_DATABASE_URL) reuses a database kept by an
earlier run of this bench or of bench.portfolio instead of generating the plans again.

Generates ACIP_BENCH_PLANS (2,000) plan histories with the domain's own decide()
(testkit.synthetic, about 120 events per plan; ACIP_BENCH_YEARS=10: ten-year plans,
testkit.long_history, about 470), appends them, rebuilds the plans read model (the report
takes its plan ids from it), then, ACIP_BENCH_ROUNDS times (best kept):
  replay   pin every plan as of the period's end and fold it from its events: the floor
           any report must read through
  report   api.reporting.issue_report for the whole programme (format acip-report/3):
           pins, states, the xlsx annex, the narrative HTML, the PDF (when Chromium is
           installed), the manifest, the report_issued append and the .zip
and then each stage alone (``stages_seconds``), with Chromium's own cost (an empty
document printed) and the zip with the compressed parts stored against every part deflated.
Target (issue 16): the report in under 10 s.
"""

from __future__ import annotations

import asyncio
import io
import os
import time
import zipfile
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from api.reporting import issue_report, pin_plans, report_id_for, snapshots_of
from bench._common import (
    best_of,
    emit,
    environment,
    fresh_database,
    kept_database,
    postgres_server,
)
from bench.rebuild import _load
from domain import Actor, Role
from eventstore import PostgresEventStore, init_connection
from projections.rebuild import gc_paused, rebuild
from projections.results_queries import states_at_versions
from reports import ReportPeriod, ReportRequest, ReportScope
from reports.bundle import (
    ANNEX,
    FORMAT,
    MANIFEST,
    NARRATIVE_HTML,
    NARRATIVE_PDF,
    build_bundle,
    build_manifest,
    manifest_bytes,
    render_annex,
    render_narrative,
)
from reports.model import ScopeKind
from reports.narrative import chromium_path, render_pdf
from reports.xlsx import ZIP_EPOCH

PLANS = int(os.environ.get("ACIP_BENCH_PLANS", "2000"))
ROUNDS = int(os.environ.get("ACIP_BENCH_ROUNDS", "3"))
TARGET_SECONDS = 10.0
MANAGER = Actor(name="bench.manager", role=Role.PROGRAMME_MANAGER)


async def run(url: str, *, generated: bool = False) -> dict[str, Any]:
    pool = await asyncpg.create_pool(url, min_size=2, max_size=6, init=init_connection)
    assert pool is not None
    store = PostgresEventStore(pool)
    started = time.perf_counter()
    if generated:
        events = await pool.fetchval("SELECT count(*) FROM events")
        print(f"{events} events reused from the kept database")
    else:
        events = await _load(store)
        print(f"generated and appended {events} events of {PLANS} plans")
        await rebuild(pool, store)
        print(f"loaded and projected in {time.perf_counter() - started:.1f} s")
    # The synthetic events are recorded now (their business time is in the past), so the
    # annual report is this year's, as of now.
    now = datetime.now(UTC)
    period = ReportPeriod(start=date(now.year, 1, 1), end=date(now.year, 12, 31))
    as_of = min(period.closing_instant(), now)
    replay_times, report_times, sizes = [], [], []
    for round_ in range(1, ROUNDS + 1):
        started = time.perf_counter()
        pins = await pin_plans(pool, store, as_of, None)
        await snapshots_of(store, pins.plans)
        replay_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        pins = await pin_plans(pool, store, as_of, None)
        request = ReportRequest(
            report_id=report_id_for(None),
            scope=ReportScope(kind=ScopeKind.PROGRAMME),
            period=period,
            as_of=as_of,
        )
        issued = await issue_report(pool, store, request, pins, MANAGER)
        report_times.append(time.perf_counter() - started)
        sizes.append(len(issued.bundle))
        print(
            f"round {round_}: replay {replay_times[-1]:.2f} s, report {report_times[-1]:.2f} s"
            f" ({len(pins.plans)} plans, {len(issued.bundle) / 1e6:.1f} MB,"
            f" pdf: {issued.pdf_note or 'printed'})"
        )
    stages = await _stages(pool, store, request)
    print("stages (s): " + ", ".join(f"{k} {v}" for k, v in stages.items()))
    await pool.close()
    replayed, reported = best_of(replay_times), best_of(report_times)
    return {
        "plans": PLANS,
        "events": events,
        "period": period.model_dump(mode="json"),
        "pdf_printed": chromium_path().exists(),
        "replay_seconds": round(replayed, 2),
        "report_seconds": round(reported, 2),
        "report_over_replay": round(reported / replayed, 2),
        "bundle_bytes": sizes[-1],
        "rounds_report_seconds": [round(t, 2) for t in report_times],
        "stages_seconds": stages,
    }


async def _stages(
    pool: asyncpg.Pool, store: PostgresEventStore, request: ReportRequest
) -> dict[str, float]:
    """Each stage of an issue alone, one after the other (where the time goes)."""
    with gc_paused():  # as issue_report and recompute run
        return await _stages_of(pool, store, request)


async def _stages_of(
    pool: asyncpg.Pool, store: PostgresEventStore, request: ReportRequest
) -> dict[str, float]:
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        seconds[name] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()

    pins = await pin_plans(pool, store, request.as_of, None)
    lap("pins")
    folded = await snapshots_of(store, pins.plans)
    lap("states_folded_from_events")
    states = await states_at_versions(pool, {p.plan_id: p.version for p in pins.plans})
    snapshots = await snapshots_of(store, pins.plans, states)
    lap("states_from_read_model")
    assert [s.state for s in snapshots] == [s.state for s in folded]
    files = {ANNEX: render_annex(request, snapshots, FORMAT)}
    lap("annex")
    files[NARRATIVE_HTML] = render_narrative(request, snapshots, FORMAT)
    lap("narrative_html")
    if chromium_path().exists():
        files[NARRATIVE_PDF] = await render_pdf(files[NARRATIVE_HTML])
        lap("pdf")
        # Chromium's own cost: launch, a page, print an empty document, close.
        await render_pdf(b"<!doctype html><title>x</title><p>x</p>")
        lap("pdf_empty_document")
    manifest = build_manifest(request, pins.plans, files, None)
    lap("manifest")
    stored = build_bundle(manifest, files)
    lap("zip_compressed_parts_stored")
    deflated = _all_deflated(manifest, files)
    lap("zip_every_part_deflated")
    print(f"zip: {len(stored):,} bytes with the xlsx and PDF stored, {len(deflated):,} deflated")
    return seconds


def _all_deflated(manifest: dict[str, Any], files: dict[str, bytes]) -> bytes:
    """The bundle as format 2 wrote it, every member deflated (the comparison)."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted({**files, MANIFEST: manifest_bytes(manifest)}.items()):
            archive.writestr(
                zipfile.ZipInfo(name, date_time=ZIP_EPOCH), content, zipfile.ZIP_DEFLATED
            )
    return output.getvalue()


def main() -> None:
    kept = os.environ.get("ACIP_BENCH_KEEP_DATABASE")
    with postgres_server() as server_url:
        if kept:
            url, generated = asyncio.run(kept_database(server_url, kept))
        else:
            url, generated = asyncio.run(fresh_database(server_url)), False
        results = asyncio.run(run(url, generated=generated))
    print(
        f"programme report {results['report_seconds']} s for {PLANS} plans"
        f" (target {TARGET_SECONDS} s); plain replay {results['replay_seconds']} s"
    )
    emit(
        {
            "benchmark": "reports.programme",
            "rounds": ROUNDS,
            "environment": environment(),
            "results": results,
            "targets": {"report_seconds": TARGET_SECONDS},
            "met": results["report_seconds"] < TARGET_SECONDS,
        }
    )


if __name__ == "__main__":
    main()
