"""`acip projections …` and `acip audit …` end to end on a real database: output, exit
status, and one clear line (never a traceback) on bad input."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import typer
from typer.testing import CliRunner, Result

from eventstore import PostgresEventStore, init_connection
from projections.projector import Projector
from testkit.synthetic import append_histories, plan_history
from workers.cli_audit import audit_app
from workers.cli_projections import projections_app
from workers.exit_codes import AuditExit

app = typer.Typer()
app.add_typer(projections_app, name="projections")
app.add_typer(audit_app, name="audit")
runner = CliRunner()


@pytest.fixture(scope="module")
async def database(database_url: str) -> AsyncIterator[str]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4, init=init_connection)
    assert pool is not None
    store = PostgresEventStore(pool)
    await append_histories(store, [plan_history(i, seed=31) for i in range(3)])
    await Projector(pool, store).catch_up()
    await pool.close()
    yield database_url


def acip(database: str | None, *args: str) -> Result:
    env = {"ACIP_DATABASE_URL": database or "", "ACIP_LOG_LEVEL": "warning"}
    return runner.invoke(app, list(args), env=env)


def assert_one_line_error(result: Result, status: int, text: str) -> None:
    assert result.exit_code == status, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert text in result.stderr


def test_projections_status_and_rebuild(database: str) -> None:
    status = acip(database, "projections", "status")
    assert status.exit_code == 0, status.output
    assert "plans" in status.stdout and "ok" in status.stdout
    rebuilt = acip(database, "projections", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "rebuilt plans:" in rebuilt.stdout
    assert "3 plans" in rebuilt.stdout
    assert_one_line_error(
        acip(database, "projections", "rebuild", "nonsense"), 1, "unknown projection 'nonsense'"
    )


def test_missing_database_url_is_one_line(database: str) -> None:
    assert_one_line_error(acip(None, "projections", "status"), 1, "ACIP_DATABASE_URL is not set")


def test_audit_trail_in_three_formats(database: str) -> None:
    as_json = acip(database, "audit", "trail", "AFG-2020", "--format", "json", "--limit", "5")
    assert as_json.exit_code == 0, as_json.output
    trail = json.loads(as_json.stdout)
    assert [e["version"] for e in trail["entries"]] == [1, 2, 3, 4, 5]
    assert trail["entries"][0]["description"].startswith("wco.manager opened plan AFG-2020")

    as_csv = acip(database, "audit", "trail", "AFG-2020", "--format", "csv", "--offset", "2")
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert rows[0]["version"] == "3"
    assert len(rows) == trail["total"] - 2

    as_table = acip(database, "audit", "trail", "AFG-2020", "--limit", "3")
    assert as_table.exit_code == 0, as_table.output
    assert "Audit trail of AFG-2020" in as_table.stdout
    assert "opened plan" in as_table.stdout

    assert_one_line_error(acip(database, "audit", "trail", "ZZZ-2020"), 1, "no plan ZZZ-2020")
    bad = acip(database, "audit", "trail", "AFG-2020", "--format", "xml")
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_audit_replay_by_version_and_instant(database: str) -> None:
    by_version = acip(
        database, "audit", "replay", "ABW-2020", "--version", "12", "--format", "json"
    )
    assert by_version.exit_code == 0, by_version.output
    replayed = json.loads(by_version.stdout)
    assert (replayed["version"], replayed["state"]["phase"]) == (12, "diagnostic")

    far_future = acip(database, "audit", "replay", "ABW-2020", "--as-of", "2999-01-01")
    assert far_future.exit_code == 0, far_future.output
    assert "Benchmarks by key factor" in far_future.stdout

    past = acip(database, "audit", "replay", "ABW-2020", "--as-of", "2000-01-01T00:00:00Z")
    assert_one_line_error(past, 1, "has no events as of 2000-01-01")
    bad = acip(database, "audit", "replay", "ABW-2020", "--as-of", "last tuesday")
    assert_one_line_error(bad, 2, "cannot read 'last tuesday' as an instant")
    neither = acip(database, "audit", "replay", "ABW-2020")
    assert_one_line_error(neither, 2, "give --as-of INSTANT or --version N")


def test_export_then_verify_offline_and_a_tampered_export(database: str, tmp_path: Path) -> None:
    exported = acip(database, "audit", "export", "AGO-2020", "--out", str(tmp_path / "x"))
    assert exported.exit_code == 0, exported.output
    assert "head hash" in exported.stdout
    # Offline: no database URL at all.
    intact = acip(None, "audit", "verify-export", str(tmp_path / "x"))
    assert intact.exit_code == 0, intact.output
    assert "export intact" in intact.stdout

    events = tmp_path / "x" / "events.jsonl"
    lines = events.read_text().splitlines()
    event = json.loads(lines[2])
    event["data"]["maturity"] = 5 if event["data"].get("maturity") != 5 else 1
    lines[2] = json.dumps(event)
    events.write_text("\n".join(lines) + "\n")
    assert_one_line_error(
        acip(None, "audit", "verify-export", str(tmp_path / "x")), 1, "event version 3"
    )
    assert_one_line_error(
        acip(None, "audit", "verify-export", str(tmp_path / "nowhere")), 2, "manifest.json"
    )
    lines[2] = lines[2][: len(lines[2]) // 2]  # a line cut in half: unreadable, not proof
    events.write_text("\n".join(lines) + "\n")
    assert_one_line_error(
        acip(None, "audit", "verify-export", str(tmp_path / "x")),
        AuditExit.UNREADABLE,
        "line 3 of events.jsonl is not valid JSON",
    )
    again = acip(database, "audit", "export", "AGO-2020", "--out", str(tmp_path / "x"))
    assert_one_line_error(again, 1, "already holds an export")


def test_audit_verify_names_the_first_broken_event(database: str) -> None:
    intact = acip(database, "audit", "verify")
    assert intact.exit_code == 0, intact.output
    assert "intact" in intact.stdout
    assert_one_line_error(
        acip(database, "audit", "verify", "ZZZ-2020"), AuditExit.NOT_FOUND, "no plan ZZZ-2020"
    )
    assert_one_line_error(
        acip(None, "audit", "verify"), AuditExit.UNREADABLE, "ACIP_DATABASE_URL is not set"
    )

    async def tamper() -> None:
        conn = await asyncpg.connect(database)
        try:
            await conn.execute("ALTER TABLE events DISABLE TRIGGER USER")
            await conn.execute(
                "UPDATE events SET data = jsonb_set(data, '{title}', '\"Forged\"')"
                " WHERE stream_id = 'plan-AFG-2020' AND version = 1"
            )
            await conn.execute("ALTER TABLE events ENABLE TRIGGER USER")
        finally:
            await conn.close()

    asyncio.run(tamper())
    broken = acip(database, "audit", "verify", "AFG-2020")
    assert_one_line_error(broken, AuditExit.BROKEN, "BROKEN: plan-AFG-2020 version 1")
    assert "hash mismatch" in broken.stderr
    assert acip(database, "audit", "verify").exit_code == 1
    assert acip(database, "audit", "verify", "ABW-2020").exit_code == 0
