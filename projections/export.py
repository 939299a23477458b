"""Audit exports: a plan's events as stored, checkable later without the database.

An export is a folder with ``events.jsonl`` (one stored event per line, payloads exactly as
stored, not upcast) and ``manifest.json`` (plan, count, the chain's head hash, the file's
SHA-256, export time). ``verify_export`` recomputes every hash with the event store's pure
hashing module: an edited, removed or reordered line breaks the chain or the manifest.
Keep the head hash somewhere else too (a ticket, a signed letter): whoever can rewrite the
whole folder can rewrite the manifest.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from pydantic import BaseModel, ValidationError

from eventstore import ChainBreak, EventStore
from eventstore.hashing import canonical_datetime, verify_events
from projections.export_proofs import CHECKPOINT_FILE, NoCheckpointError, check_proofs, proof_files

EVENTS_FILE = "events.jsonl"
MANIFEST_FILE = "manifest.json"
FORMAT = "acip-audit-export"


class ExportError(Exception):
    """The export cannot be made or read (not: it was read and found broken)."""


class Manifest(BaseModel):
    format: str = FORMAT
    # 2: with the signed, witnessed checkpoint and an inclusion proof per event.
    format_version: int = 2
    plan_id: str
    stream_id: str
    events: int
    last_version: int
    last_global_position: int
    head_hash: str
    events_sha256: str
    exported_at: datetime
    # Size of the checkpoint the proofs lead to, and SHA-256 of each proof file.
    checkpoint_size: int | None = None
    files_sha256: dict[str, str] = {}


class ExportCheck(BaseModel):
    ok: bool
    plan_id: str
    events: int
    head_hash: str | None
    # One sentence each; the first is what a person should look at first.
    problems: list[str]
    breaks: list[ChainBreak]
    # Lines that are not a JSON object: the file cannot be checked, which is not proof of
    # tampering (a truncated copy, a wrong file); the CLI exits 2 for these, not 1.
    unreadable_lines: list[int] = []


def _line(row: dict[str, Any]) -> str:
    event = {
        "global_position": row["global_position"],
        "stream_id": row["stream_id"],
        "version": row["version"],
        "event_id": str(row["event_id"]),
        "type": row["type"],
        "schema_version": row["schema_version"],
        "occurred_at": canonical_datetime(row["occurred_at"]),
        "recorded_at": row["recorded_at"].astimezone(UTC).isoformat(),
        "data": row["data"],
        "metadata": row["metadata"],
        "prev_hash": row["prev_hash"],
        "hash": row["hash"],
    }
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n"


async def export_plan(
    pool: asyncpg.Pool,
    store: EventStore,
    plan_id: str,
    out_dir: Path,
    *,
    witness_public_key: str = "",
) -> Manifest:
    """Write the plan's export into ``out_dir`` (created; must not hold an export yet).
    ``pool`` reaches the signed checkpoints, ``store`` the plan's events."""
    stream_id = f"plan-{plan_id}"
    rows = await store.read_stream_raw(stream_id)
    if not rows:
        raise ExportError(f"there is no plan {plan_id} in the event store")
    try:
        extra = await proof_files(pool, store, rows, witness_public_key)
    except NoCheckpointError:
        # Still useful (the chain), but it says nothing of what came after or was cut:
        # format 1, and the CLI says so.
        extra = {}
    return await asyncio.to_thread(write_export, out_dir, plan_id, stream_id, rows, extra)


def write_export(
    out_dir: Path,
    plan_id: str,
    stream_id: str,
    rows: list[dict[str, Any]],
    extra_files: dict[str, str] | None = None,
) -> Manifest:
    """Write rows as the store holds them (``read_stream_raw``) into an export folder."""
    out_dir.mkdir(parents=True, exist_ok=True)
    events_path, manifest_path = out_dir / EVENTS_FILE, out_dir / MANIFEST_FILE
    if events_path.exists() or manifest_path.exists():
        raise ExportError(f"{out_dir} already holds an export; choose an empty folder")
    body = "".join(_line(row) for row in rows).encode()
    events_path.write_bytes(body)
    extra_files = extra_files or {}
    for name, text in extra_files.items():
        (out_dir / name).write_text(text)
    checkpoint = json.loads(extra_files[CHECKPOINT_FILE]) if CHECKPOINT_FILE in extra_files else {}
    last = rows[-1]
    manifest = Manifest(
        format_version=2 if extra_files else 1,
        plan_id=plan_id,
        stream_id=stream_id,
        events=len(rows),
        last_version=last["version"],
        last_global_position=last["global_position"],
        head_hash=last["hash"],
        events_sha256=hashlib.sha256(body).hexdigest(),
        exported_at=datetime.now(UTC),
        checkpoint_size=checkpoint.get("size"),
        files_sha256={
            name: hashlib.sha256(text.encode()).hexdigest() for name, text in extra_files.items()
        },
    )
    manifest_path.write_text(manifest.model_dump_json(indent=2) + "\n")
    return manifest


def _read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST_FILE
    try:
        manifest = Manifest.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise ExportError(f"{path} is missing: is {folder} an audit export?") from None
    except ValidationError as error:
        raise ExportError(f"{path} is not a valid manifest: {error.errors()[0]['msg']}") from None
    if manifest.format != FORMAT:
        raise ExportError(f"{path} is not an {FORMAT} manifest")
    return manifest


def verify_export(folder: Path, witness_public_key: str = "") -> ExportCheck:
    """Check an export offline: file digests, every line, the hash chain, the head, and
    (format 2) the checkpoint's signatures and every event's inclusion proof."""
    manifest = _read_manifest(folder)
    try:
        body = (folder / EVENTS_FILE).read_bytes()
    except FileNotFoundError:
        raise ExportError(f"{folder / EVENTS_FILE} is missing") from None
    problems: list[str] = []
    events: list[dict[str, Any]] = []
    unreadable: list[int] = []
    for number, line in enumerate(body.decode(errors="replace").splitlines(), start=1):
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            unreadable.append(number)
            problems.append(f"line {number} of {EVENTS_FILE} is not valid JSON")
            continue
        if not isinstance(event, dict):
            unreadable.append(number)
            problems.append(f"line {number} of {EVENTS_FILE} is not a JSON object")
            continue
        if event.get("stream_id") != manifest.stream_id:
            problems.append(f"line {number} is not an event of {manifest.stream_id}")
            continue
        events.append(event)
    report = verify_events(events)
    for chain_break in report.breaks:
        problems.append(
            f"event version {chain_break.version} (position {chain_break.global_position}, "
            f"id {chain_break.event_id}): {chain_break.reason.replace('_', ' ')}: "
            f"{chain_break.detail}"
        )
    head = max(events, key=lambda e: int(e.get("version", 0)), default=None)
    head_hash = None if head is None else str(head.get("hash"))
    if len(events) != manifest.events:
        problems.append(
            f"the manifest lists {manifest.events} events, the file holds {len(events)}"
        )
    if head_hash != manifest.head_hash:
        problems.append(f"the last event's hash {head_hash} is not the manifest's head hash")
    if hashlib.sha256(body).hexdigest() != manifest.events_sha256:
        problems.append(f"{EVENTS_FILE} differs from the file that was exported (SHA-256)")
    if manifest.format_version >= 2:
        problems += check_proofs(folder, events, witness_public_key)
        for name, digest in manifest.files_sha256.items():
            if hashlib.sha256((folder / name).read_bytes()).hexdigest() != digest:
                problems.append(f"{name} differs from the file that was exported (SHA-256)")
    return ExportCheck(
        ok=not problems,
        plan_id=manifest.plan_id,
        events=len(events),
        head_hash=head_hash,
        problems=problems,
        breaks=report.breaks,
        unreadable_lines=unreadable,
    )
