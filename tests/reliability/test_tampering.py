"""Tampering with the event log behind the application's back, as a database superuser would
(triggers off for the session), and what `acip audit verify` and `acip audit verify-export`
(run as processes, as an auditor runs them) say about it.

- one event's payload changed          -> hash mismatch at that version
- one event deleted                    -> version gap at the next version
- two events' payloads swapped         -> hash mismatch at both versions
- two events' places swapped           -> broken links from the first to the one after
- the last event deleted               -> invisible to the chain alone (documented); seen by
                                          comparing with a head hash kept elsewhere
- one line of an export changed        -> verify-export fails naming it, even with the
                                          manifest's file digest recomputed
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from eventstore import PostgresEventStore, init_connection
from projections.export import Manifest
from testkit.synthetic import append_histories, country_code, plan_history
from tests.reliability.harness import acip_env

# The synthetic histories' plan ids (testkit.synthetic.country_code): ABW-2020, AFG-2020…
CHANGED, DELETED, SWAPPED, REORDERED, TRUNCATED, UNTOUCHED = (
    f"{country_code(index)}-2020" for index in range(6)
)
BREAK = re.compile(r"(plan-[A-Z]{3}-\d{4}) version (\d+) \(position .*?\): ([a-z ]+):")


@pytest.fixture
async def pool(fresh_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    created = await asyncpg.create_pool(
        fresh_database_url, min_size=1, max_size=4, init=init_connection
    )
    assert created is not None
    await append_histories(
        PostgresEventStore(created),
        [plan_history(i, seed=3, implementation_steps=10) for i in range(6)],
    )
    yield created
    await created.close()


async def acip(database_url: str, *args: str) -> tuple[int, str]:
    """Run the CLI as a process; return its exit status and everything it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workers.cli",
        *args,
        env={**acip_env(ACIP_DATABASE_URL=database_url), "COLUMNS": "400", "NO_COLOR": "1"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def tamper(pool: asyncpg.Pool, *statements: tuple[str, list[object]]) -> None:
    """Run statements with the append-only triggers off (a superuser's session)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        for sql, args in statements:
            await conn.execute(sql, *args)


def named(output: str) -> set[tuple[str, int, str]]:
    return {(stream, int(version), reason) for stream, version, reason in BREAK.findall(output)}


@pytest.mark.slow
async def test_verify_names_every_changed_deleted_and_swapped_event(
    pool: asyncpg.Pool, fresh_database_url: str
) -> None:
    swap_payloads = (
        "UPDATE events AS e SET data = o.data, type = o.type FROM events AS o"
        " WHERE e.stream_id = $1 AND o.stream_id = $1"
        " AND ((e.version = 3 AND o.version = 4) OR (e.version = 4 AND o.version = 3))"
    )
    await tamper(
        pool,
        ("UPDATE events SET data = data || '{\"summary\": \"nothing wrong\"}'"
         " WHERE stream_id = $1 AND version = 5", [f"plan-{CHANGED}"]),
        ("DELETE FROM events WHERE stream_id = $1 AND version = 7", [f"plan-{DELETED}"]),
        (swap_payloads, [f"plan-{SWAPPED}"]),
        ("UPDATE events SET version = 1000 WHERE stream_id = $1 AND version = 3",
         [f"plan-{REORDERED}"]),
        ("UPDATE events SET version = 3 WHERE stream_id = $1 AND version = 4",
         [f"plan-{REORDERED}"]),
        ("UPDATE events SET version = 4 WHERE stream_id = $1 AND version = 1000",
         [f"plan-{REORDERED}"]),
    )  # fmt: skip
    expected = {
        (f"plan-{CHANGED}", 5, "hash mismatch"),
        (f"plan-{DELETED}", 8, "version gap"),
        (f"plan-{SWAPPED}", 3, "hash mismatch"),
        (f"plan-{SWAPPED}", 4, "hash mismatch"),
        (f"plan-{REORDERED}", 3, "broken link"),
        (f"plan-{REORDERED}", 4, "broken link"),
        (f"plan-{REORDERED}", 5, "broken link"),
    }
    # The store's own report agrees with what the CLI must print.
    report = await PostgresEventStore(pool).verify()
    assert {(b.stream_id, b.version, b.reason.replace("_", " ")) for b in report.breaks} == expected

    intact = await acip(fresh_database_url, "audit", "verify", UNTOUCHED)
    assert intact[0] == 0 and "intact" in intact[1], intact[1]
    for plan in (CHANGED, DELETED, SWAPPED, REORDERED):
        status, output = await acip(fresh_database_url, "audit", "verify", plan)
        assert status == 1, output
        assert named(output) == {b for b in expected if b[0] == f"plan-{plan}"}, output
    status, output = await acip(fresh_database_url, "audit", "verify")
    assert status == 1
    assert named(output) == expected, output
    assert "7 break(s)" in output


async def test_a_deleted_last_event_shows_only_against_a_head_kept_elsewhere(
    pool: asyncpg.Pool, fresh_database_url: str, tmp_path: Path
) -> None:
    status, output = await acip(
        fresh_database_url, "audit", "export", TRUNCATED, "--out", str(tmp_path / "before")
    )
    assert status == 0, output
    kept = Manifest.model_validate_json((tmp_path / "before" / "manifest.json").read_text())
    await tamper(
        pool,
        ("DELETE FROM events WHERE stream_id = $1 AND version = $2",
         [f"plan-{TRUNCATED}", kept.last_version]),
    )  # fmt: skip
    # The chain alone cannot tell (docs/reliability.md): what is left is a valid chain.
    assert (await acip(fresh_database_url, "audit", "verify", TRUNCATED))[0] == 0
    status, output = await acip(
        fresh_database_url, "audit", "export", TRUNCATED, "--out", str(tmp_path / "after")
    )
    assert status == 0, output
    after = Manifest.model_validate_json((tmp_path / "after" / "manifest.json").read_text())
    # Against the head hash kept from the earlier export, the loss is plain.
    assert (after.events, after.head_hash) != (kept.events, kept.head_hash)
    assert after.events == kept.events - 1


async def test_an_export_with_one_changed_line_fails_verify_export(
    fresh_database_url: str, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    folder = tmp_path / "export"
    status, output = await acip(
        fresh_database_url, "audit", "export", UNTOUCHED, "--out", str(folder)
    )
    assert status == 0, output
    assert (await acip(fresh_database_url, "audit", "verify-export", str(folder)))[0] == 0

    events = folder / "events.jsonl"
    lines = events.read_text().splitlines(keepends=True)
    changed = json.loads(lines[2])
    changed["data"] = {**changed["data"], "tampered": True}
    lines[2] = json.dumps(changed, separators=(",", ":")) + "\n"
    events.write_text("".join(lines))
    status, output = await acip(fresh_database_url, "audit", "verify-export", str(folder))
    assert status == 1
    assert "version 3" in output and "hash mismatch" in output, output
    assert "SHA-256" in output, output

    # Recomputing the manifest's file digest does not help: the chain still breaks at line 3.
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["events_sha256"] = hashlib.sha256(events.read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    status, output = await acip(fresh_database_url, "audit", "verify-export", str(folder))
    assert status == 1 and "version 3" in output and "hash mismatch" in output, output
