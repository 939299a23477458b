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

from eventstore import ChainBreak, PostgresEventStore
from eventstore.hashing import canonical_datetime, verify_events

EVENTS_FILE = "events.jsonl"
MANIFEST_FILE = "manifest.json"
FORMAT = "acip-audit-export"


class ExportError(Exception):
    """The export cannot be made or read (not: it was read and found broken)."""


class Manifest(BaseModel):
    format: str = FORMAT
    format_version: int = 1
    plan_id: str
    stream_id: str
    events: int
    last_version: int
    last_global_position: int
    head_hash: str
    events_sha256: str
    exported_at: datetime


class ExportCheck(BaseModel):
    ok: bool
    plan_id: str
    events: int
    head_hash: str | None
    # One sentence each; the first is what a person should look at first.
    problems: list[str]
    breaks: list[ChainBreak]


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
    pool: asyncpg.Pool, plan_id: str, out_dir: Path, *, store: PostgresEventStore | None = None
) -> Manifest:
    """Write the plan's export into ``out_dir`` (created; must not hold an export yet)."""
    store = store or PostgresEventStore(pool)
    stream_id = f"plan-{plan_id}"
    rows = await store.read_stream_raw(stream_id)
    if not rows:
        raise ExportError(f"there is no plan {plan_id} in the event store")
    return await asyncio.to_thread(write_export, out_dir, plan_id, stream_id, rows)


def write_export(
    out_dir: Path, plan_id: str, stream_id: str, rows: list[dict[str, Any]]
) -> Manifest:
    """Write rows as the store holds them (``read_stream_raw``) into an export folder."""
    out_dir.mkdir(parents=True, exist_ok=True)
    events_path, manifest_path = out_dir / EVENTS_FILE, out_dir / MANIFEST_FILE
    if events_path.exists() or manifest_path.exists():
        raise ExportError(f"{out_dir} already holds an export; choose an empty folder")
    body = "".join(_line(row) for row in rows).encode()
    events_path.write_bytes(body)
    last = rows[-1]
    manifest = Manifest(
        plan_id=plan_id,
        stream_id=stream_id,
        events=len(rows),
        last_version=last["version"],
        last_global_position=last["global_position"],
        head_hash=last["hash"],
        events_sha256=hashlib.sha256(body).hexdigest(),
        exported_at=datetime.now(UTC),
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


def verify_export(folder: Path) -> ExportCheck:
    """Check an export offline: file digest, every line, the hash chain, the head."""
    manifest = _read_manifest(folder)
    try:
        body = (folder / EVENTS_FILE).read_bytes()
    except FileNotFoundError:
        raise ExportError(f"{folder / EVENTS_FILE} is missing") from None
    problems: list[str] = []
    events: list[dict[str, Any]] = []
    for number, line in enumerate(body.decode(errors="replace").splitlines(), start=1):
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            problems.append(f"line {number} of {EVENTS_FILE} is not valid JSON")
            continue
        if not isinstance(event, dict) or event.get("stream_id") != manifest.stream_id:
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
    return ExportCheck(
        ok=not problems,
        plan_id=manifest.plan_id,
        events=len(events),
        head_hash=head_hash,
        problems=problems,
        breaks=report.breaks,
    )
