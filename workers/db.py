"""Database wiring shared by every process: the migration sources and the pool."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from eventstore import init_connection
from eventstore.migrator import MigrationSource, migrate

_ROOT = Path(__file__).resolve().parent.parent

# Applied in this order; each component's files are applied in name order.
MIGRATION_COMPONENTS = ("eventstore", "api", "activities", "projections")


def migration_sources() -> list[MigrationSource]:
    sources = []
    for component in MIGRATION_COMPONENTS:
        folder = _ROOT / component / "migrations"
        if folder.is_dir():
            sources.append(MigrationSource(component=component, directory=folder))
    return sources


async def migrate_all(database_url: str) -> list[str]:
    """Apply every pending migration; returns the names applied now."""
    return await migrate(database_url, migration_sources())


async def create_pool(database_url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        database_url, min_size=min_size, max_size=max_size, init=init_connection
    )
    assert pool is not None
    return pool
