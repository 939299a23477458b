"""Verifying the whole store against the witness: throughput and memory, vs a bare read.

    python -m bench.verify            ACIP_BENCH_EVENTS (default 1,000,000) events

Fills a fresh database with valid, hash-chained events (COPY; 100 events per stream),
signs one checkpoint over all of them and has an in-process witness cosign it. Then, each
in its own child process so that its peak RSS is its own:
  bare    read the same rows (same query, same batches fetched ahead) and do nothing
          with them;
  verify  eventstore.checkpoints.verify_store: every hash chain, the RFC 9162 tree, the
          witnessed checkpoint (what `acip audit verify` runs: from 500,000 events, a
          worker process per CPU but one checking aligned chunks of the tree, stitched
          here; on 2 CPUs, one process);
  verify-1  the same in one process;  verify-2  with two worker processes.
Peak RSS: each child's own (VmHWM), and its largest worker's (an upper bound).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench._common import emit, environment, fresh_database, postgres_server, sample_data
from bench._common import sample_metadata as metadata
from eventstore._sql import POSITIONS_PER_TRANSACTION
from eventstore.checkpoints import make_checkpoint
from eventstore.hashing import compute_hash
from eventstore.keys import load_or_create
from eventstore.models import GENESIS_HASH
from eventstore.verify_feed import PARALLEL_AFTER
from witness.service import Witness
from workers.db import create_pool

EVENTS = int(os.environ.get("ACIP_BENCH_EVENTS", "1000000"))
PER_STREAM = 100
# bare read; verify as `acip audit verify` runs it; in one process; with two workers.
PHASES = ("bare", "verify", "verify-1", "verify-2")
_NEXT_XID = "SELECT pg_current_xact_id()::text::bigint"
_COPY_COLUMNS = [
    "event_id", "stream_id", "version", "global_position", "type", "schema_version", "data",
    "metadata", "occurred_at", "prev_hash", "hash",
]  # fmt: skip


def _rows(start: int, count: int, when: datetime) -> list[tuple[Any, ...]]:
    rows = []
    prev = GENESIS_HASH
    for n in range(start, start + count):
        version = n % PER_STREAM + 1
        if version == 1:
            prev = GENESIS_HASH
        event = {
            "event_id": uuid.uuid4(), "stream_id": f"plan-B{n // PER_STREAM:07d}",
            "version": version, "type": "measure_progress_reported", "schema_version": 1,
            "data": sample_data(n), "metadata": metadata(n), "occurred_at": when,
        }  # fmt: skip
        digest = compute_hash(prev, event)
        rows.append((
            event["event_id"], event["stream_id"], version, n + 1, event["type"], 1,
            json.dumps(event["data"]), json.dumps(event["metadata"]), when, prev, digest,
        ))  # fmt: skip
        prev = digest
    return rows


async def fill(url: str) -> None:
    conn = await asyncpg.connect(url)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        for start in range(0, EVENTS, 50_000):
            rows = _rows(start, min(50_000, EVENTS - start), when)
            await conn.copy_records_to_table("events", records=rows, columns=_COPY_COLUMNS)
        # Positions 1..N stand for transactions long ended only once the server's
        # transaction ids are past N / 1024 (global_position = xid * 1024 + index, and
        # commit-safe reads stop below the oldest running xid * 1024): use some up.
        while await conn.fetchval(_NEXT_XID) * POSITIONS_PER_TRANSACTION <= EVENTS + 1:
            pass
    finally:
        await conn.close()


async def witness_everything(url: str, home: Path) -> tuple[dict[str, Any], bytes, float]:
    pool = await create_pool(url, max_size=2)
    witness = Witness(home / "witness")
    try:
        key_file = home / "keys" / "checkpoint.pem"
        started = time.perf_counter()
        made = await make_checkpoint(pool, load_or_create(key_file), origin="bench")
        seconds = time.perf_counter() - started
        assert made is not None and made.size == EVENTS
        payload = {
            "statement": made.statement, "signature": made.signature,
            "previous_size": made.prev_size, "consistency_proof": made.consistency_proof,
            "frontier": made.frontier,
            "operator_keys": [{"key_id": made.key_id, "public_key": load_or_create(key_file)
                               .public_key.hex()}],
        }  # fmt: skip
        witness.submit(payload)
        record = {"operator_keys": witness.operator_keys(), "checkpoints": witness.cosigned()}
        return record, witness.public_key, seconds
    finally:
        witness.close()
        await pool.close()


async def _child(phase: str, url: str, saved: dict[str, Any]) -> dict[str, Any]:
    from eventstore.checkpoints import verify_store
    from eventstore.verify_feed import STORED_ROWS, read_in_batches

    pool = await create_pool(url, max_size=2)
    try:
        started = time.perf_counter()
        if phase == "bare":
            counted = [0]

            def count_rows(rows: list[Any]) -> None:
                counted[0] += len(rows)

            async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
                await read_in_batches(conn, STORED_ROWS, count_rows)
            count, ok = counted[0], True
        else:
            workers = {"verify": None, "verify-1": 1, "verify-2": 2}[phase]
            result = await verify_store(
                pool, saved["record"], bytes.fromhex(saved["key"]), dsn=url, workers=workers,
                parallel_after=0 if phase == "verify-2" else PARALLEL_AFTER,
            )  # fmt: skip
            count, ok = result.events, result.ok
        seconds = time.perf_counter() - started
    finally:
        await pool.close()
    # The workers' (reaped children): the largest one's peak, an upper bound (a spawned
    # process's ru_maxrss counts the forking parent's RSS before the exec).
    workers_mb = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    return {
        "events": count, "ok": ok, "seconds": seconds, "peak_rss_mb": _peak_rss_mb(),
        "worker_peak_rss_mb": workers_mb,
    }  # fmt: skip


def _peak_rss_mb() -> float:
    # VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec, so a child would report the
    # parent's peak at fork time (here: the process that filled the database).
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def _run_child(phase: str, url: str, record_file: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.verify", "--child", phase, url, record_file],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        saved = json.loads(Path(sys.argv[4]).read_text())
        print(json.dumps(asyncio.run(_child(sys.argv[2], sys.argv[3], saved))))
        return
    with postgres_server() as server_url, tempfile.TemporaryDirectory() as home:
        url = asyncio.run(fresh_database(server_url))
        started = time.perf_counter()
        asyncio.run(fill(url))
        print(f"filled {EVENTS} events in {time.perf_counter() - started:.0f} s", flush=True)
        record, key, checkpoint_s = asyncio.run(witness_everything(url, Path(home)))
        record_file = Path(home) / "record.json"
        record_file.write_text(json.dumps({"record": record, "key": key.hex()}))
        print(f"first checkpoint over {EVENTS} events: {checkpoint_s:.1f} s", flush=True)
        runs = {phase: _run_child(phase, url, str(record_file)) for phase in PHASES}
    assert all(r["ok"] for r in runs.values()), runs
    rates = {name: r["events"] / r["seconds"] for name, r in runs.items()}
    for name, r in runs.items():
        print(
            f"{name:<10} {r['events']:>9} events {r['seconds']:>7.1f} s "
            f"{r['events'] / r['seconds']:>9.0f} ev/s  peak RSS {r['peak_rss_mb']:.0f} MB"
            f" (workers' largest {r['worker_peak_rss_mb']:.0f} MB)"
        )
    for name in PHASES[1:]:
        print(f"{name}/bare throughput: {rates[name] / rates['bare']:.2f} (target >= 50,000 ev/s)")
    emit(
        {
            "benchmark": "verify",
            "events": EVENTS,
            "first_checkpoint_s": round(checkpoint_s, 2),
            **runs,
            "events_per_s": {k: round(v) for k, v in rates.items()},
            "environment": environment(),
        }
    )


if __name__ == "__main__":
    main()
