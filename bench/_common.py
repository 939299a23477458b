"""Shared benchmark plumbing: one PostgreSQL per run, fresh databases, timing, output.

Every benchmark measures our code and its baselines on the same server in the same run,
interleaved in short chunks, and prints human lines followed by ONE JSON object (last
line).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import asyncpg

from eventstore import NewEvent
from testkit.postgres import database_url_for, temporary_postgres
from workers.db import migrate_all

MIGRATION_0001 = Path(__file__).resolve().parents[1] / "eventstore/migrations/0001_events.sql"


def bare_table() -> str:
    """The bare baseline: `events` as migration 0001 creates it (the same columns,
    constraints and identity, read from the migration itself), renamed bare_events, with none
    of our logic (no append function, no trigger, no hash chain: later migrations add those
    to `events` only)."""
    sql = MIGRATION_0001.read_text()
    table = re.search(r"^CREATE TABLE events \(.*?^\);", sql, re.DOTALL | re.MULTILINE)
    if table is None:
        raise RuntimeError(f"no CREATE TABLE events in {MIGRATION_0001}")
    return re.sub(r"\bevents", "bare_events", table.group(0))


DUMMY_HASH = "f" * 64


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """ACIP_BENCH_DATABASE_URL, or an embedded PostgreSQL for the duration of the run."""
    external = os.environ.get("ACIP_BENCH_DATABASE_URL")
    if external:
        yield external
        return
    with temporary_postgres("acip-bench-pg-") as url:
        yield url


async def fresh_database(server_url: str, name: str | None = None) -> str:
    """A new database (named ``name``, or at random) with all migrations and the bare
    table; returns its URL."""
    name = name or f"acip_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = database_url_for(server_url, name)
    await migrate_all(url)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(bare_table())
    finally:
        await conn.close()
    return url


async def kept_database(server_url: str, name: str) -> tuple[str, bool]:
    """The URL of database ``name`` (a fresh one made if missing), and whether it already
    holds generated plans (its plans read model has rows)."""
    admin = await asyncpg.connect(server_url)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
    finally:
        await admin.close()
    if not exists:
        return await fresh_database(server_url, name), False
    url = database_url_for(server_url, name)
    conn = await asyncpg.connect(url)
    try:
        generated = bool(await conn.fetchval("SELECT count(*) FROM rm_plans.summary"))
    finally:
        await conn.close()
    return url, generated


def libpq_params(url: str) -> dict[str, str]:
    """Split a postgresql:// URL (socket in ?host=) into eventsourcing's datastore args."""
    parts = urlsplit(url)
    query = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair)
    return {
        "dbname": parts.path.lstrip("/"),
        "host": unquote(query.get("host", parts.hostname or "localhost")),
        "port": str(parts.port or query.get("port", 5432)),
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
    }


def sample_data(n: int) -> dict[str, Any]:
    """A payload shaped like a real action-plan event (~0.5 KiB of JSON with metadata)."""
    return {
        "plan_id": "plan-2025-ke-0042",
        "measure_id": f"m-{n % 37}",
        "title": "Rotate officers at the Malaba border post every 24 months",
        "assignee": {"user_id": f"u-{n % 11}", "role": "focal_point"},
        "due": "2026-03-31",
        "key_factors": ["leadership", "human_resources", "audit"],
        "progress": n % 101,
        "weight": 0.25,
    }


def sample_metadata(n: int) -> dict[str, Any]:
    return {
        "actor": f"u-{n % 11}",
        "role": "focal_point",
        "command_id": str(uuid.UUID(int=n)),
        "correlation_id": "5f0c3a3e-3c55-4a61-9f93-3a3c8a3b9b11",
        "causation_id": "1f5b7c2d-4e6f-4a8b-9c0d-1e2f3a4b5c6d",
        "workflow_id": "plan-2025-ke-0042",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    }


def new_event(n: int) -> NewEvent:
    return NewEvent(
        event_id=uuid.uuid4(),
        type="measure_progress_reported",
        data=sample_data(n),
        metadata=sample_metadata(n),
        occurred_at=datetime.now(UTC),
    )


async def timed(fn: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await fn()
    return time.perf_counter() - started


def best_of(times: list[float]) -> float:
    # Best of the rounds: the least disturbed by the other processes on this machine.
    return min(times)


def typical(times: list[float]) -> float:
    # Median of many short interleaved chunks: robust to bursts from other processes on
    # the machine, and not flattering (unlike the best chunk).
    return statistics.median(times)


def environment() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "asyncpg": asyncpg.__version__,
    }


def emit(result: dict[str, Any]) -> None:
    print(json.dumps(result, sort_keys=True))


def median(values: list[float]) -> float:
    return statistics.median(values)
