"""The migrator: ordered, once, recorded, safe from two processes at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from eventstore import MigrationError, MigrationSource, migrate


def _source(root: Path, component: str, files: dict[str, str]) -> MigrationSource:
    folder = root / component
    folder.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (folder / name).write_text(sql)
    return MigrationSource(component=component, directory=folder)


async def test_applies_in_source_then_name_order_once(
    fresh_database_url: str, tmp_path: Path
) -> None:
    first = _source(
        tmp_path,
        "alpha",
        {
            "0002_more.sql": "INSERT INTO trail VALUES ('alpha/0002');",
            "0001_start.sql": (
                "CREATE TABLE trail (step text); INSERT INTO trail VALUES ('alpha/0001');"
            ),
            "README.md": "not a migration",
        },
    )
    second = _source(
        tmp_path, "beta", {"0001_start.sql": "INSERT INTO trail VALUES ('beta/0001');"}
    )
    applied = await migrate(fresh_database_url, [first, second])
    assert applied == ["alpha/0001_start.sql", "alpha/0002_more.sql", "beta/0001_start.sql"]
    assert await migrate(fresh_database_url, [first, second]) == []

    conn = await asyncpg.connect(fresh_database_url)
    try:
        steps = [r["step"] for r in await conn.fetch("SELECT step FROM trail")]
        recorded = await conn.fetch(
            "SELECT component, name, checksum, applied_at FROM schema_migrations"
            " WHERE component IN ('alpha', 'beta') ORDER BY applied_at"
        )
    finally:
        await conn.close()
    assert steps == ["alpha/0001", "alpha/0002", "beta/0001"]
    assert [(r["component"], r["name"]) for r in recorded] == [
        ("alpha", "0001_start.sql"),
        ("alpha", "0002_more.sql"),
        ("beta", "0001_start.sql"),
    ]
    assert all(len(r["checksum"]) == 64 for r in recorded)


async def test_two_processes_at_once_apply_each_file_once(
    fresh_database_url: str, tmp_path: Path
) -> None:
    # pg_sleep widens the window in which a second runner would collide.
    source = _source(
        tmp_path,
        "gamma",
        {
            "0001_table.sql": "SELECT pg_sleep(0.2); CREATE TABLE once_only (x int);",
            "0002_row.sql": "INSERT INTO once_only VALUES (1);",
        },
    )
    results = await asyncio.gather(*(migrate(fresh_database_url, [source]) for _ in range(3)))
    assert sorted(name for names in results for name in names) == [
        "gamma/0001_table.sql",
        "gamma/0002_row.sql",
    ]
    conn = await asyncpg.connect(fresh_database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM once_only") == 1
    finally:
        await conn.close()


async def test_a_failing_file_rolls_back_alone_and_is_retried(
    fresh_database_url: str, tmp_path: Path
) -> None:
    source = _source(
        tmp_path,
        "delta",
        {
            "0001_ok.sql": "CREATE TABLE delta_ok (x int);",
            "0002_bad.sql": "CREATE TABLE delta_half (x int); SELECT * FROM missing_table;",
        },
    )
    with pytest.raises(asyncpg.UndefinedTableError):
        await migrate(fresh_database_url, [source])
    (tmp_path / "delta" / "0002_bad.sql").write_text("CREATE TABLE delta_half (x int);")
    assert await migrate(fresh_database_url, [source]) == ["delta/0002_bad.sql"]


async def test_an_edited_migration_is_refused(fresh_database_url: str, tmp_path: Path) -> None:
    source = _source(tmp_path, "epsilon", {"0001_t.sql": "CREATE TABLE eps (x int);"})
    await migrate(fresh_database_url, [source])
    (tmp_path / "epsilon" / "0001_t.sql").write_text("CREATE TABLE eps (x bigint);")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrate(fresh_database_url, [source])


@pytest.mark.parametrize(
    "files",
    [{"1_short.sql": "SELECT 1;"}, {"0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 1;"}],
)
async def test_badly_named_files_are_refused(
    fresh_database_url: str, tmp_path: Path, files: dict[str, str]
) -> None:
    with pytest.raises(MigrationError):
        await migrate(fresh_database_url, [_source(tmp_path, "zeta", files)])


async def test_the_project_migrations_are_all_applied(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        names = {
            r["name"]
            for r in await conn.fetch(
                "SELECT name FROM schema_migrations WHERE component = 'eventstore'"
            )
        }
    finally:
        await conn.close()
    expected = {
        p.name for p in (Path(__file__).parents[2] / "eventstore" / "migrations").glob("*.sql")
    }
    assert names == expected
