"""Gathering a report's inputs from the record, issuing it, and checking it again later.

Used by the API (issue, list) and by ``acip report verify``. Each plan is pinned by its
version and head hash as of the report's instant, and folded again from its own stored
events with the domain code the workflow uses (as projections.history does), never taken
from the read models, so a verification years later recomputes exactly the same numbers.

Every report is one ``report_issued`` event in the stream ``reports-all``: the hash chain
orders the issues, listing them is one read, and each event carries the whole manifest, so
the record alone says what was sent. Appends use no expected version (issues never
conflict); the event id derives from the report id, so one report is recorded once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from domain import Actor, PlanState, fold, key_factor_status, parse_event
from eventstore import ANY, EventStore, NewEvent
from eventstore.checkpoints import latest as latest_checkpoint
from projections.queries import list_plans
from projections.rebuild import gc_paused
from projections.results_queries import states_at_versions
from reports import PlanPin, PlanSnapshot, ReportRequest
from reports.bundle import (
    ANNEX,
    FORMAT,
    FORMAT_V1,
    NARRATIVE_HTML,
    NARRATIVE_PDF,
    BundleCheck,
    build_bundle,
    build_manifest,
    manifest_bytes,
    render_annex,
    render_files,
    render_narrative,
    sha256_hex,
)
from reports.narrative import PdfUnavailableError, render_pdf

REPORTS_STREAM = "reports-all"
EVENT_TYPE = "report_issued"
_NAMESPACE = uuid.UUID("6f1d3c1e-8a51-4c36-9f0e-1f4a2b7c9d10")
# Every plan, whatever its phase: the read model's list is only where the ids come from.
_ALL_PLANS = 1_000_000


class NothingToReportError(Exception):
    """The scope holds no plan as of the instant."""


class PinMismatchError(Exception):
    """A pinned plan version is missing or its hash is not the one pinned."""


@dataclass(frozen=True)
class Pins:
    plans: list[PlanPin]
    last_position: int  # the highest global position among the pinned heads


async def pin_plans(
    pool: asyncpg.Pool, store: EventStore, as_of: datetime, plan_id: str | None
) -> Pins:
    """Each plan's last event recorded up to ``as_of``: its version and hash. Plan ids come
    from the plans read model (a plan the projector has not seen yet is not in it)."""
    if plan_id is None:
        plan_ids = [p.plan_id for p in await list_plans(pool, limit=_ALL_PLANS)]
    else:
        plan_ids = [plan_id]
    heads = await store.stream_heads([f"plan-{each}" for each in plan_ids], as_of)
    pins = [
        PlanPin(plan_id=head.stream_id.removeprefix("plan-"), version=head.version,
                head_hash=head.hash)
        for head in heads
    ]  # fmt: skip
    last_position = max((head.global_position for head in heads), default=0)
    return Pins(plans=sorted(pins, key=lambda p: p.plan_id), last_position=last_position)


async def snapshots_of(
    store: EventStore, pins: Sequence[PlanPin], folded: Mapping[str, PlanState] | None = None
) -> list[PlanSnapshot]:
    """Each pinned plan folded from its stored events up to the pinned version; or, when
    ``folded`` holds the plan at exactly that version (the projector's fold of the same
    events with the same domain code), that state, read instead of folded again. The plans
    to fold are read side by side (the pool's connections) and folded as they arrive."""
    known = {
        pin.plan_id: state
        for pin in pins
        if (state := (folded or {}).get(pin.plan_id)) is not None and state.version == pin.version
    }
    missing = [pin for pin in pins if pin.plan_id not in known]
    for pin, state in zip(
        missing, await asyncio.gather(*(_fold_pinned(store, pin) for pin in missing)), strict=True
    ):
        known[pin.plan_id] = state
    # In a thread, as the decoding: the loop (and a report's Chromium) goes on meanwhile.
    return await asyncio.to_thread(_with_benchmarks, pins, known)


def _with_benchmarks(
    pins: Sequence[PlanPin], states: Mapping[str, PlanState]
) -> list[PlanSnapshot]:
    return [
        PlanSnapshot(
            pin=pin,
            state=states[pin.plan_id],
            benchmarks=list(key_factor_status(states[pin.plan_id]).values()),
        )
        for pin in sorted(pins, key=lambda p: p.plan_id)
    ]


async def _fold_pinned(store: EventStore, pin: PlanPin) -> PlanState:
    events = await store.read_stream(f"plan-{pin.plan_id}", to_version=pin.version)
    if not events or events[-1].version != pin.version:
        raise PinMismatchError(f"plan {pin.plan_id} has no version {pin.version}")
    if events[-1].hash != pin.head_hash:
        raise PinMismatchError(
            f"plan {pin.plan_id} version {pin.version} has hash {events[-1].hash}, "
            f"not the {pin.head_hash} the report pinned"
        )
    state = fold(parse_event(e.type, e.data, e.schema_version) for e in events)
    assert state is not None  # events is not empty
    return state


async def _render_with_pdf(
    request: ReportRequest,
    snapshots: Sequence[PlanSnapshot],
    format: str,
    printing: asyncio.Task[bytes],
    html_ready: asyncio.Future[bytes],
) -> tuple[dict[str, bytes], str | None]:
    """The files: the PDF printed by Chromium (its own processes, launched beforehand)
    while the annex is built in a thread, so the two cores work at once. The note says why
    a PDF is missing."""
    html = await asyncio.to_thread(render_narrative, request, snapshots, format)
    html_ready.set_result(html)
    annex = await asyncio.to_thread(render_annex, request, snapshots, format)
    files = {ANNEX: annex, NARRATIVE_HTML: html}
    try:
        files[NARRATIVE_PDF] = await printing
    except PdfUnavailableError as missing:
        return files, str(missing)
    return files, None


async def _snapshots_and_files(
    pool: asyncpg.Pool,
    store: EventStore,
    request: ReportRequest,
    pins: Pins,
    format: str,
    printing: asyncio.Task[bytes],
    html_ready: asyncio.Future[bytes],
) -> tuple[list[PlanSnapshot], dict[str, bytes], str | None]:
    # Issued from the read model's states where they are at the pinned version (most plans:
    # no event since the instant; one statement, only those decoded); a verification always
    # folds from the events again, so a read model that disagreed with the record would show
    # as "differs".
    folded = await states_at_versions(pool, {pin.plan_id: pin.version for pin in pins.plans})
    snapshots = [
        s
        for s in await snapshots_of(store, pins.plans, folded)
        if request.scope.includes(s.state.donors)
    ]
    if not snapshots:
        raise NothingToReportError(f"no plan of {request.scope.label} was on the record")
    files, pdf_note = await _render_with_pdf(request, snapshots, format, printing, html_ready)
    return snapshots, files, pdf_note


@dataclass(frozen=True)
class IssuedReport:
    report_id: str
    manifest: dict[str, Any]
    manifest_sha256: str
    bundle: bytes
    pdf_note: str | None


def report_id_for(command_id: uuid.UUID | None) -> str:
    """A retried issue (same command_id) names the same report, so it is recorded once."""
    value = uuid.uuid5(_NAMESPACE, str(command_id)) if command_id else uuid.uuid4()
    return value.hex[:16]


async def issue_report(
    pool: asyncpg.Pool,
    store: EventStore,
    request: ReportRequest,
    pins: Pins,
    actor: Actor,
    format: str = FORMAT,
) -> IssuedReport:
    """Render, pin to the latest checkpoint, record ``report_issued``; the .zip to send.
    A donor scope keeps the plans that donor funded at the instant (the fold says).
    ``format``: the manifest's (reports.bundle.FORMATS); only the newest is issued, the
    older ones are kept to verify the reports issued with them."""
    # The states and files are millions of objects that hold no cycles, while the cyclic
    # collector would rescan them again and again (measured: decoding 4x slower, and a
    # second's collection while the manifest was written).
    with gc_paused():
        return await _issued(pool, store, request, pins, actor, format)


async def _issued(
    pool: asyncpg.Pool,
    store: EventStore,
    request: ReportRequest,
    pins: Pins,
    actor: Actor,
    format: str,
) -> IssuedReport:
    # Chromium is launched now, while the states are read; it prints once the HTML is set.
    html_ready: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
    printing = asyncio.create_task(render_pdf(html_ready))
    try:
        snapshots, files, pdf_note = await _snapshots_and_files(
            pool, store, request, pins, format, printing, html_ready
        )
    finally:
        if not printing.done():  # an error before the PDF was awaited: stop Chromium
            html_ready.cancel()
            printing.cancel()
            await asyncio.wait([printing])
    pins = Pins(plans=[s.pin for s in snapshots], last_position=pins.last_position)
    checkpoint = await latest_checkpoint(pool)
    pinned_checkpoint = None
    if checkpoint is not None:
        pinned_checkpoint = {
            **checkpoint.as_json(),
            # True when every pinned event is inside the signed tree; else the chain heads
            # are the pin and the next checkpoint will cover them.
            "covers_report": checkpoint.last_position >= pins.last_position,
        }
    manifest = build_manifest(request, pins.plans, files, pinned_checkpoint, format)
    if pdf_note:
        manifest["pdf_missing"] = pdf_note
    digest = sha256_hex(manifest_bytes(manifest))
    event = NewEvent(
        event_id=uuid.uuid5(_NAMESPACE, request.report_id),
        type=EVENT_TYPE,
        data={"report_id": request.report_id, "manifest_sha256": digest, "manifest": manifest},
        metadata={"actor": actor.name, "role": actor.role.value},
        occurred_at=datetime.now(UTC),
    )
    await store.append(REPORTS_STREAM, ANY, [event])
    return IssuedReport(
        report_id=request.report_id,
        manifest=manifest,
        manifest_sha256=digest,
        bundle=build_bundle(manifest, files),
        pdf_note=pdf_note,
    )


async def issued_reports(store: EventStore) -> list[dict[str, Any]]:
    """Every ``report_issued`` data (manifest, digest) with its recorded_at, newest first."""
    events = await store.read_stream(REPORTS_STREAM)
    return [
        {**e.data, "recorded_at": e.recorded_at} for e in reversed(events) if e.type == EVENT_TYPE
    ]


async def issued_record(store: EventStore, report_id: str) -> dict[str, Any] | None:
    return next((r for r in await issued_reports(store) if r["report_id"] == report_id), None)


async def recompute(store: EventStore, manifest: dict[str, Any]) -> dict[str, bytes]:
    """The reproducible files again, from the plans the manifest pins."""
    pins = [PlanPin.model_validate(p) for p in manifest["plans"]]
    request = ReportRequest(
        report_id=manifest["report_id"],
        scope=manifest["scope"],
        period=manifest["period"],
        as_of=datetime.fromisoformat(manifest["as_of"]),
        # Reports issued before they were translated carry no language: English.
        language=manifest.get("language", "en"),
    )
    # Each report with the generator its format names: reports issued before stay exact
    # (a manifest naming none is older than the formats: the first).
    format = manifest.get("format", FORMAT_V1)
    with gc_paused():  # as at issue: folding and rendering make no cycles
        return render_files(request, await snapshots_of(store, pins), format)


async def recheck_issued(store: EventStore, record: dict[str, Any]) -> BundleCheck:
    """An issued report against the record today, without its .zip: the reproducible files
    recomputed from the pins must have the digests the manifest gives."""
    check = BundleCheck()
    manifest = record["manifest"]
    if sha256_hex(manifest_bytes(manifest)) != record["manifest_sha256"]:
        check.differs("manifest.json", "the recorded manifest does not match its digest")
    try:
        recomputed = await recompute(store, manifest)
    except PinMismatchError as mismatch:
        check.problems.append(str(mismatch))
        return check
    listed = {entry["name"]: entry["sha256"] for entry in manifest["files"]}
    for name, content in sorted(recomputed.items()):
        if listed.get(name) != sha256_hex(content):
            check.differs(name, f"{name} differs from what the record gives as of the instant")
    return check
