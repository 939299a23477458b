"""Plain, ordered SQL migrations, applied once per database.

Each component keeps ``NNNN_name.sql`` files in its own folder. ``migrate`` applies the
pending ones in source order, then name order, each in its own transaction, and records
them in ``schema_migrations`` with a SHA-256 checksum of the file. The whole run holds a
session advisory lock on a fixed key, so two processes starting at once (API and worker,
two test sessions) apply each file exactly once: the second waits, then finds nothing to do.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from eventstore.errors import MigrationError

# "ACIPMIGR" as a big-endian integer: a fixed key nobody else is likely to use.
MIGRATION_LOCK_KEY = 0x4143_4950_4D49_4752

_FILE_PATTERN = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    component  text        NOT NULL,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (component, name)
)
"""


@dataclass(frozen=True)
class MigrationSource:
    component: str
    directory: Path


@dataclass(frozen=True)
class _Migration:
    component: str
    name: str
    sql: str
    checksum: str


def _collect(source: MigrationSource) -> list[_Migration]:
    if not source.directory.is_dir():
        raise MigrationError(f"{source.component}: migration folder {source.directory} missing")
    migrations: list[_Migration] = []
    seen_numbers: dict[str, str] = {}
    for path in sorted(source.directory.glob("*.sql")):
        match = _FILE_PATTERN.match(path.name)
        if match is None:
            raise MigrationError(
                f"{source.component}: {path.name} is not named NNNN_lower_snake.sql"
            )
        number = match.group(1)
        if number in seen_numbers:
            raise MigrationError(
                f"{source.component}: {path.name} and {seen_numbers[number]} share number {number}"
            )
        seen_numbers[number] = path.name
        raw = path.read_bytes()
        migrations.append(
            _Migration(
                component=source.component,
                name=path.name,
                sql=raw.decode("utf-8"),
                checksum=hashlib.sha256(raw).hexdigest(),
            )
        )
    return migrations


async def migrate(database_url: str, sources: Sequence[MigrationSource]) -> list[str]:
    """Apply pending migrations; return ``component/name`` of each file applied now.

    Refuses (MigrationError) when a file already applied has changed since: an applied
    migration is history and must not be edited; add a new file instead.
    """
    plan = [migration for source in sources for migration in _collect(source)]
    applied_now: list[str] = []
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        try:
            await conn.execute(_CREATE_TABLE)
            rows = await conn.fetch("SELECT component, name, checksum FROM schema_migrations")
            done = {(row["component"], row["name"]): row["checksum"] for row in rows}
            for migration in plan:
                key = (migration.component, migration.name)
                if key in done:
                    if done[key] != migration.checksum:
                        raise MigrationError(
                            f"{migration.component}/{migration.name} was changed after it was "
                            "applied; add a new migration instead of editing an applied one"
                        )
                    continue
                async with conn.transaction():
                    # No arguments: the simple query protocol, so a file may hold many
                    # statements (and plpgsql bodies with semicolons).
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (component, name, checksum)"
                        " VALUES ($1, $2, $3)",
                        migration.component,
                        migration.name,
                        migration.checksum,
                    )
                applied_now.append(f"{migration.component}/{migration.name}")
        finally:
            # Closing the session would release the lock too; unlocking keeps the
            # window short when close is slow, and must not mask the original error.
            with contextlib.suppress(asyncpg.PostgresError, OSError):
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
    finally:
        await conn.close()
    return applied_now
