"""Tools of the fault tests: child processes (worker, projector, Temporal dev server), bounded
waits, the invariant checks, e-mail. Breaking PostgreSQL (holding an append, ending
backends, restarting a server) is tests/reliability/postgres_faults.py.

Everything listens on 127.0.0.1 only; every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from eventstore import PostgresEventStore
from projections.checkpoints import read_checkpoint
from projections.rebuild import rebuild
from tests.reliability.postgres_faults import (
    ADMIN_APPLICATION,
    RestartablePostgres,
    VersionHold,
    admin_pool,
    database_name,
    restartable_postgres,
    terminate_all_backends,
    terminate_backend,
)
from tests.support.mail import Inbox, free_port, smtp_server, unfold
from tests.support.polling import eventually

# Re-exported: the reliability tests import these from here too.
__all__ = [
    "ADMIN_APPLICATION",
    "Inbox",
    "RestartablePostgres",
    "VersionHold",
    "admin_pool",
    "database_name",
    "free_port",
    "restartable_postgres",
    "terminate_all_backends",
    "terminate_backend",
    "unfold",
]

BIN = Path(sys.executable).parent
READ_MODEL_TABLES = ("summary", "milestones", "indicators", "benchmarks")
Snapshot = dict[str, list[tuple[Any, ...]]]


# -- child processes -------------------------------------------------------------------


@dataclass
class Child:
    """A child process with its output in a log file (read it when a test fails)."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no handler, no flush, no goodbye (a crash or an OOM kill)."""
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def freeze(self) -> None:
        """SIGSTOP: the process stays, its sockets stay open, nothing it owns runs."""
        self.process.send_signal(signal.SIGSTOP)

    def terminate(self, timeout: float = 30) -> int:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


@dataclass
class Children:
    """Every child a test starts; all are killed at the end, whatever happened."""

    folder: Path
    started: list[Child] = field(default_factory=list)

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> Child:
        log_path = self.folder / f"{name}-{len(self.started)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                args,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        child = Child(name, process, log_path)
        self.started.append(child)
        return child

    def worker(
        self, database_url: str, temporal_address: str, task_queue: str, smtp_url: str = ""
    ) -> Child:
        env = acip_env(
            ACIP_DATABASE_URL=database_url,
            ACIP_TEMPORAL_ADDRESS=temporal_address,
            ACIP_TASK_QUEUE=task_queue,
            ACIP_SMTP_URL=smtp_url,
        )
        return self.spawn("worker", [sys.executable, "-m", "workers.cli", "worker"], env)

    def projector(self, database_url: str) -> Child:
        env = acip_env(ACIP_DATABASE_URL=database_url)
        return self.spawn("projector", [sys.executable, "-m", "workers.cli", "projector"], env)

    def api(self, database_url: str, temporal_address: str, port: int, **settings: str) -> Child:
        env = acip_env(
            ACIP_DATABASE_URL=database_url,
            ACIP_TEMPORAL_ADDRESS=temporal_address,
            ACIP_API_HOST="127.0.0.1",
            ACIP_API_PORT=str(port),
            **settings,
        )
        return self.spawn("api", [sys.executable, "-m", "workers.cli", "api"], env)

    def kill_all(self) -> None:
        for child in self.started:
            with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
                if child.alive():
                    child.process.send_signal(signal.SIGKILL)
                child.process.wait(30)


@contextlib.contextmanager
def children(folder: Path) -> Iterator[Children]:
    started = Children(folder)
    try:
        yield started
    finally:
        started.kill_all()


def acip_env(**settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACIP_")}
    env.update(ACIP_LOG_FORMAT="json", ACIP_LOG_LEVEL="info", ACIP_OTEL_EXPORTER="none")
    env.update(settings)
    return env


async def port_open(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


class DevServer:
    """`temporal server start-dev` with its SQLite file, restartable on the same ports."""

    def __init__(self, folder: Path, children: Children) -> None:
        self.folder = folder
        self.children = children
        self.port = free_port()
        self.http_port = free_port()
        self.metrics_port = free_port()
        self.child: Child | None = None
        self.starts = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.child = self.children.spawn(
            "temporal",
            [
                str(BIN / "temporal"),
                "server",
                "start-dev",
                "--headless",
                "--ip",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--http-port",
                str(self.http_port),
                "--metrics-port",
                str(self.metrics_port),
                "--db-filename",
                str(self.folder / "temporal.db"),
                "--log-level",
                "warn",
            ],
            acip_env(),
        )
        self.starts += 1
        await eventually(
            lambda: port_open(self.port), within=60, what=f"Temporal on port {self.port}"
        )

    def kill(self) -> None:
        assert self.child is not None
        self.child.kill()

    async def client(self, within: float = 60) -> Client:
        """A client once the frontend answers (it listens before it serves)."""

        async def healthy_client() -> Client:
            client = await Client.connect(self.address, data_converter=pydantic_data_converter)
            await client.service_client.check_health()
            return client

        return await eventually(
            healthy_client, within=within, interval=0.2, what=f"Temporal at {self.address}"
        )


# -- invariants ------------------------------------------------------------------------


async def read_models(pool: asyncpg.Pool) -> Snapshot:
    return {
        table: [
            tuple(row) for row in await pool.fetch(f"SELECT * FROM rm_plans.{table} ORDER BY 1, 2")
        ]
        for table in READ_MODEL_TABLES
    }


async def projector_caught_up(pool: asyncpg.Pool) -> bool:
    store = PostgresEventStore(pool)
    checkpoint = await read_checkpoint(pool, "plans")
    return checkpoint.failed_position is None and checkpoint.position >= await store.head_position()


async def assert_read_models_equal_rebuild(pool: asyncpg.Pool) -> int:
    """Compare the live read models, row for row, with a rebuild from position 0; returns the
    number of rows compared. Call with no projector running and no appends in flight."""
    live = await read_models(pool)
    await rebuild(pool, PostgresEventStore(pool))
    rebuilt = await read_models(pool)
    for table in READ_MODEL_TABLES:
        assert live[table] == rebuilt[table], f"rm_plans.{table} differs from a rebuild"
    return sum(len(rows) for rows in live.values())


async def assert_streams_intact(store: PostgresEventStore) -> int:
    """Every stream contiguous from version 1 and hash-chained; returns the events checked."""
    report = await store.verify()
    assert report.ok, report.breaks[:3]
    return report.events_checked


async def assert_event_ids_unique(pool: asyncpg.Pool) -> None:
    duplicates = await pool.fetchval(
        "SELECT count(*) FROM (SELECT event_id FROM events GROUP BY 1 HAVING count(*) > 1) d"
    )
    assert duplicates == 0


# -- e-mail ----------------------------------------------------------------------------


@contextlib.contextmanager
def smtp_inbox() -> Iterator[tuple[Inbox, str]]:
    """An aiosmtpd server on 127.0.0.1; yields the inbox and its smtp:// URL."""
    with smtp_server() as (inbox, smtp):
        yield inbox, f"smtp://{smtp.host}:{smtp.port}"
