"""`acip audit …`: audit trails, history replay, hash-chain verification, exports."""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, datetime, time
from enum import StrEnum
from pathlib import Path

import asyncpg
import typer
from rich.table import Table

from workers.cli_projections import UserError, console, fail, say, with_pool
from workers.exit_codes import AuditExit

audit_app = typer.Typer(
    help="For auditors: audit trails, the plan as of any instant, integrity checks, exports.",
    no_args_is_help=True,
)


class TrailFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


class ReplayFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def parse_instant(text: str) -> datetime:
    """ISO 8601; no offset means UTC; a bare date means the end of that day (UTC), i.e.
    "as of 2026-03-01" includes everything recorded on March 1."""
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).date()
            return datetime.combine(day, time.max, tzinfo=UTC)
        value = datetime.fromisoformat(text)
    except ValueError:
        fail(
            f"--as-of: cannot read {text!r} as an instant; use ISO 8601, e.g. 2026-03-01T12:00:00Z",
            2,
        )
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@audit_app.command("replay")
def replay(
    plan_id: str = typer.Argument(..., help="e.g. GHA-2026"),
    as_of: str | None = typer.Option(None, "--as-of", help="Instant (ISO 8601, UTC if no offset)."),
    version: int | None = typer.Option(None, "--version", min=1, help="Plan version."),
    output: ReplayFormat = typer.Option(ReplayFormat.TABLE, "--format"),
) -> None:
    """The plan folded from its events recorded up to an instant and/or a version."""
    from eventstore import PostgresEventStore
    from projections.history import replay_plan
    from projections.views import PlanAsOf

    if as_of is None and version is None:
        fail("give --as-of INSTANT or --version N", 2)
    instant = None if as_of is None else parse_instant(as_of)

    async def action(pool: asyncpg.Pool) -> PlanAsOf:
        result = await replay_plan(
            PostgresEventStore(pool), plan_id, as_of=instant, version=version
        )
        if result is None:
            when = f"as of {instant.isoformat()}" if instant else f"at version {version}"
            raise UserError(f"plan {plan_id} has no events {when}")
        return result

    result = with_pool(action)
    if output is ReplayFormat.JSON:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return
    _print_replay(result)


def _print_replay(result: object) -> None:
    from projections.views import PlanAsOf

    assert isinstance(result, PlanAsOf)
    state = result.state
    head = Table(title=f"Plan {state.plan_id} replayed", show_header=False)
    head.add_column("", style="bold")
    head.add_column("")
    rows = [
        ("as of", result.as_of.isoformat() if result.as_of else "-"),
        ("up to version", str(result.as_of_version or "-")),
        ("version", str(state.version)),
        ("last event recorded", result.last_recorded_at.isoformat()),
        ("country", state.country),
        ("administration", state.administration),
        ("title", state.title),
        ("phase", state.phase.label),
        ("period", f"{state.period_start} to {state.period_end}"),
        ("submitted by", state.submitted_by or "-"),
        ("approvals", ", ".join(f"{a.name} ({a.role.label})" for a in state.approvals) or "-"),
    ]
    for label, value in rows:
        head.add_row(label, value)
    console.print(head)
    if state.milestones:
        milestones = Table(title="Milestones")
        for column in ("id", "title", "status", "%", "due", "overdue since", "reminders"):
            milestones.add_column(column)
        for m in state.milestones.values():
            milestones.add_row(
                m.milestone_id,
                m.title,
                m.status,
                str(m.percent),
                str(m.due_date),
                m.overdue_since.date().isoformat() if m.is_overdue and m.overdue_since else "",
                str(m.reminders_sent),
            )
        console.print(milestones)
    benchmarks = Table(title="Benchmarks by key factor")
    for column in ("key factor", "status", "indicators", "milestones done/total", "overdue"):
        benchmarks.add_column(column)
    for b in result.benchmarks:
        benchmarks.add_row(
            b.key_factor.label,
            b.status.value.replace("_", " "),
            str(len(b.indicators)),
            f"{b.milestones_completed}/{b.milestones_total}",
            str(b.milestones_overdue),
        )
    console.print(benchmarks)


@audit_app.command("trail")
def trail(
    plan_id: str = typer.Argument(..., help="e.g. GHA-2026"),
    output: TrailFormat = typer.Option(TrailFormat.TABLE, "--format"),
    limit: int = typer.Option(100, "--limit", min=1, max=10_000),
    offset: int = typer.Option(0, "--offset", min=0),
) -> None:
    """Every event of a plan in order: who, when, what (one sentence), and its hash."""
    from eventstore import PostgresEventStore
    from projections.queries import audit_trail
    from projections.views import AuditTrail

    async def action(pool: asyncpg.Pool) -> AuditTrail:
        result = await audit_trail(PostgresEventStore(pool), plan_id, limit=limit, offset=offset)
        if result.total == 0:
            raise UserError(f"there is no plan {plan_id}")
        return result

    result = with_pool(action)
    if output is TrailFormat.JSON:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    elif output is TrailFormat.CSV:
        writer = csv.writer(sys.stdout)
        writer.writerow(
            ["version", "global_position", "event_id", "type", "occurred_at", "recorded_at",
             "actor", "role", "description", "data", "prev_hash", "hash"]
        )  # fmt: skip
        for e in result.entries:
            writer.writerow(
                [e.version, e.global_position, e.event_id, e.type, e.occurred_at.isoformat(),
                 e.recorded_at.isoformat(), e.actor or "", e.role or "", e.description,
                 json.dumps(e.data, sort_keys=True), e.prev_hash, e.hash]
            )  # fmt: skip
    else:
        last = min(result.total, offset + len(result.entries))
        table = Table(
            title=f"Audit trail of {plan_id}: events {offset + 1}-{last} of {result.total}"
        )
        for column in ("v", "recorded (UTC)", "actor", "role", "what happened", "hash"):
            table.add_column(column, overflow="fold")
        for e in result.entries:
            table.add_row(
                str(e.version),
                e.recorded_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                e.actor or "",
                (e.role or "").replace("_", " "),
                e.description,
                e.hash[:12],
            )
        console.print(table)


@audit_app.command("verify")
def verify(
    plan_id: str | None = typer.Argument(None, help="One plan; all streams when omitted."),
    witness_record: Path | None = typer.Option(
        None, "--witness-record", help="A saved copy of the witness's GET /checkpoints."
    ),
    witness_key: str = typer.Option(
        "", "--witness-key", help="The witness's public key (hex); else ACIP_WITNESS_PUBLIC_KEY."
    ),
) -> None:
    """Recompute the hash chains and, for the whole store, the Merkle log against the
    witness's record. Exit 0 intact, 1 broken (naming where), 2 unreadable (the store, the
    witness's record or key), 3 no such plan (workers/exit_codes.py)."""
    from eventstore import PostgresEventStore, VerifyReport

    if plan_id is None and (witness_record is not None or _witness_configured()):
        _verify_against_witness(witness_record, witness_key)
        return
    if plan_id is None:
        say(
            "note: no witness configured (ACIP_WITNESS_URL or --witness-record): only the hash "
            "chains are checked, which a database superuser can recompute"
        )

    async def action(pool: asyncpg.Pool) -> VerifyReport:
        store = PostgresEventStore(pool)
        return await store.verify(None if plan_id is None else f"plan-{plan_id}")

    report = with_pool(action, AuditExit.UNREADABLE)
    if plan_id is not None and report.events_checked == 0:
        fail(f"there is no plan {plan_id}", AuditExit.NOT_FOUND)
    if report.ok:
        say(f"intact: {report.events_checked} events in {report.streams_checked} stream(s)")
        return
    first, *others = (
        f"{b.stream_id} version {b.version} (position {b.global_position}, "
        f"event {b.event_id}): {b.reason.replace('_', ' ')}: {b.detail}"
        for b in report.breaks
    )
    for other in others:
        say(f"  also: {other}")
    fail(
        f"BROKEN: {first} [{len(report.breaks)} break(s) in {report.events_checked} events]",
        AuditExit.BROKEN,
    )


def _witness_configured() -> bool:
    from workers.settings import load_settings

    return bool(load_settings().witness_url)


def _verify_against_witness(record_file: Path | None, witness_key: str) -> None:
    from eventstore.checkpoints import StoreVerification, verify_store
    from eventstore.witness_client import (
        WitnessRecord,
        WitnessRecordError,
        fetch_record,
        read_record_file,
    )
    from workers.settings import load_settings

    settings = load_settings()
    pinned = witness_key or settings.witness_public_key

    async def action(pool: asyncpg.Pool) -> tuple[StoreVerification, WitnessRecord]:
        if record_file is not None:
            witnessed = read_record_file(record_file, pinned)
        else:
            witnessed = await fetch_record(settings.witness_url, pinned)
        # The database's address lets a large store be checked by worker processes, one
        # chunk of the tree at a time, with connections of their own
        # (eventstore/verify_feed.py).
        verification = await verify_store(
            pool, witnessed.record, witnessed.public_key, dsn=settings.database_url
        )
        return verification, witnessed

    try:
        result, witnessed = with_pool(action, AuditExit.UNREADABLE)
    except WitnessRecordError as error:
        fail(str(error), AuditExit.UNREADABLE)
    if not witnessed.key_pinned:
        say("note: the witness key was asked of the witness, not pinned (--witness-key)")
    if result.ok:
        say(
            f"intact: {result.events} events in {result.streams} stream(s); the first "
            f"{result.witnessed_size} match {result.checkpoints_matched} witnessed checkpoint(s)"
        )
        return
    first, *others = result.problems
    for other in others[:20]:
        say(f"  also: {other}")
    fail(
        f"BROKEN: {first} [{len(result.problems)} problem(s) in {result.events} events]",
        AuditExit.BROKEN,
    )


@audit_app.command("export")
def export(
    plan_id: str = typer.Argument(..., help="e.g. GHA-2026"),
    out: Path = typer.Option(
        ..., "--out", help="Folder to write (created; must not hold an export)."
    ),
) -> None:
    """Write the plan's events (JSON Lines, as stored) and a manifest with the head hash."""
    from eventstore import PostgresEventStore
    from projections.export import ExportError, Manifest, export_plan
    from workers.settings import load_settings

    witness_key = load_settings().witness_public_key

    async def action(pool: asyncpg.Pool) -> Manifest:
        try:
            return await export_plan(
                pool, PostgresEventStore(pool), plan_id, out, witness_public_key=witness_key
            )
        except (ExportError, OSError) as error:
            raise UserError(str(error)) from None

    manifest = with_pool(action)
    say(
        f"exported {manifest.events} events of {plan_id} to {out}; "
        f"head hash {manifest.head_hash} (keep it apart from the export)"
    )
    if manifest.checkpoint_size is None:
        say(
            "warning: no signed checkpoint covers these events yet, so the export carries no "
            "proof of completeness; run `acip audit checkpoint` and export again"
        )
    else:
        say(f"with inclusion proofs to the signed checkpoint of size {manifest.checkpoint_size}")


@audit_app.command("verify-export")
def verify_export(
    folder: Path = typer.Argument(..., help="A folder written by `acip audit export`."),
    witness_key: str = typer.Option(
        "", "--witness-key", help="The witness's public key (hex), pinned; else the export's."
    ),
) -> None:
    """Check an export offline, without the database. Exit 0 intact, 1 broken, 2 unreadable
    (no manifest, a missing file, a line that is not a JSON object)."""
    from projections.export import ExportError
    from projections.export import verify_export as check

    try:
        result = check(folder, witness_key)
    except (ExportError, OSError) as error:
        fail(str(error), AuditExit.UNREADABLE)
    if result.ok:
        say(
            f"export intact: {result.events} events of {result.plan_id}, "
            f"head hash {result.head_hash}"
        )
        return
    for problem in result.problems[1:]:
        say(f"  also: {problem}")
    if result.unreadable_lines:
        fail(f"export UNREADABLE: {result.problems[0]}", AuditExit.UNREADABLE)
    fail(f"export BROKEN: {result.problems[0]}", AuditExit.BROKEN)
