"""Checkpoints, the witness and verification against an insider with superuser rights."""

from __future__ import annotations

import asyncio
import itertools
import signal
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from eventstore.checkpoints import all_checkpoints, latest, unwitnessed
from eventstore.keys import rotate
from eventstore.merkle import verify_consistency
from tests.integration.witness_harness import Rig, insider, rewrite_stream_from, rig
from tests.support.polling import eventually
from workers.checkpointer import WitnessRefusedError, witness_pending


async def test_checkpoints_cover_new_events_only_and_each_extends_the_last(
    fresh_database_url: str, tmp_path: Path
) -> None:
    async with rig(fresh_database_url, tmp_path) as r:
        assert await r.checkpoint() is None  # nothing to sign in an empty store
        await r.append("plan-a", 3)
        first = await r.checkpoint()
        assert first is not None and (first.size, first.prev_size) == (3, 0)
        assert await r.checkpoint() is None  # idle: no checkpoint
        await r.append("plan-b", 2)
        second = await r.checkpoint()
        assert second is not None and (second.size, second.prev_size) == (5, 3)
        proof = [bytes.fromhex(h) for h in second.consistency_proof]
        assert verify_consistency(
            3, 5, proof, bytes.fromhex(first.root_hash), bytes.fromhex(second.root_hash)
        )
        assert await r.witness_all() == 2
        report = await r.verify()
        assert report.ok, report.problems
        assert (report.events, report.witnessed_size, report.checkpoints_matched) == (5, 5, 2)


async def test_the_witness_refuses_a_rewritten_tree_and_keeps_the_refusal(
    fresh_database_url: str, tmp_path: Path
) -> None:
    async with rig(fresh_database_url, tmp_path) as r:
        await r.append_and_witness("plan-a", 3)
        async with insider(fresh_database_url) as conn:
            await rewrite_stream_from(conn, "plan-a", 2)
            # The insider also forges the checkpoints table to sign the rewritten tree.
            await conn.execute("DELETE FROM checkpoints")
        await r.append("plan-a")
        forged = await r.checkpoint()
        assert forged is not None and forged.size == 4
        response = await r.client.post(
            "/checkpoints",
            json={
                "statement": forged.statement,
                "signature": forged.signature,
                "previous_size": 3,
                "consistency_proof": forged.consistency_proof,
                "frontier": forged.frontier,
            },
        )
        assert response.status_code == 409
        assert "NOT AN EXTENSION" in response.json()["refused"]
        refusals = r.witness.refusals()
        assert len(refusals) == 1 and refusals[0]["size"] == 4
        assert len(r.witness.cosigned()) == 3  # what it signed before stays


@pytest.mark.parametrize(
    "tamper",
    ["change_and_rechain", "delete_last", "delete_stream", "reorder", "insert", "replace_table"],
)
@pytest.mark.parametrize("in_workers", [False, True], ids=["one process", "workers"])
async def test_each_kind_of_tampering_is_found_and_placed(
    fresh_database_url: str, tmp_path: Path, tamper: str, in_workers: bool
) -> None:
    async with rig(fresh_database_url, tmp_path) as r:
        await r.append_and_witness("plan-a", 3)
        await r.append_and_witness("plan-b", 2)
        await r.append_and_witness("plan-a", 1)
        intact = await r.verify()
        assert intact.ok, intact.problems
        # Leaves in global order: a1 a2 a3 b1 b2 a4, one witnessed checkpoint after each.
        expected: tuple[str | None, int | None, int] | None
        async with insider(fresh_database_url) as conn:
            rows = await conn.fetch("SELECT * FROM events ORDER BY global_position")
            if tamper == "change_and_rechain":
                await rewrite_stream_from(conn, "plan-a", 2)
                expected = ("plan-a", 2, 1)
            elif tamper == "delete_last":
                await conn.execute("DELETE FROM events WHERE event_id = $1", rows[-1]["event_id"])
                expected = (None, None, 5)
            elif tamper == "delete_stream":
                await conn.execute("DELETE FROM events WHERE stream_id = 'plan-b'")
                expected = ("plan-a", 4, 3)
            elif tamper == "reorder":
                # Swap the places of b1 and b2 in the global order (versions stay put).
                b1, b2 = rows[3], rows[4]
                await conn.execute(
                    "UPDATE events SET global_position = -global_position"
                    " WHERE event_id = ANY($1::uuid[])",
                    [b1["event_id"], b2["event_id"]],
                )
                for row, position in ((b1, b2["global_position"]), (b2, b1["global_position"])):
                    await conn.execute(
                        "UPDATE events SET global_position = $2 WHERE event_id = $1",
                        row["event_id"],
                        position,
                    )
                expected = ("plan-b", 2, 3)
            elif tamper == "insert":
                # A forged event with a valid chain of its own, slipped in before b1.
                await conn.execute(
                    "INSERT INTO events (event_id, stream_id, version, global_position, type,"
                    " schema_version, data, metadata, occurred_at, recorded_at, prev_hash, hash)"
                    " SELECT gen_random_uuid(), 'plan-z', 1, $1 - 1, type, schema_version, data,"
                    " metadata, occurred_at, recorded_at, prev_hash, hash"
                    " FROM events WHERE event_id = $2",
                    rows[3]["global_position"],
                    rows[3]["event_id"],
                )
                expected = ("plan-z", 1, 3)
            else:
                await conn.execute("DELETE FROM checkpoints WHERE size > 2")
                await conn.execute("UPDATE checkpoints SET root_hash = repeat('0', 64)")
                expected = None
        report = await r.verify(in_workers=in_workers)
        assert not report.ok
        if expected is None:
            assert report.divergence is None
            assert any("checkpoints table lacks" in p for p in report.problems)
            return
        stream_id, version, first_leaf = expected
        divergence = report.divergence
        assert divergence is not None, report.problems
        assert (divergence.stream_id, divergence.version, divergence.first_leaf) == (
            stream_id,
            version,
            first_leaf,
        ), divergence
        assert report.problems[0].startswith("the store differs from the witnessed record")


async def test_checkpoints_queue_while_the_witness_is_down_then_are_witnessed_in_order(
    fresh_database_url: str, tmp_path: Path
) -> None:
    async with rig(fresh_database_url, tmp_path) as r:
        # A real connection refused: nothing listens on port 9 of loopback.
        async with httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=2) as down:
            for n in range(3):
                await r.append("plan-a", n + 1)
                await r.checkpoint()
                with pytest.raises(httpx.ConnectError):
                    await witness_pending(r.pool, down, r.key_file)
        assert [c.size for c in await unwitnessed(r.pool)] == [1, 3, 6]
        assert await r.witness_all() == 3
        assert [c["size"] for c in r.witness.cosigned()] == [1, 3, 6]
        assert await unwitnessed(r.pool) == []
        assert (await r.verify()).ok


async def test_after_a_key_rotation_old_and_new_checkpoints_verify(
    fresh_database_url: str, tmp_path: Path
) -> None:
    async with rig(fresh_database_url, tmp_path) as r:
        await r.append_and_witness("plan-a", 2)
        old, new = rotate(r.key_file)
        await r.append_and_witness("plan-a", 2)
        signers = [c.key_id for c in await all_checkpoints(r.pool)]
        assert signers == [old.key_id, old.key_id, new.key_id, new.key_id]
        trusted = {k["key_id"]: k["how"] for k in r.witness.operator_keys()}
        assert trusted == {old.key_id: "first use", new.key_id: f"endorsed by {old.key_id}"}
        report = await r.verify()
        assert report.ok, report.problems
        assert report.checkpoints_matched == 4


async def test_an_unendorsed_new_key_is_refused(fresh_database_url: str, tmp_path: Path) -> None:
    async with rig(fresh_database_url, tmp_path) as r:
        await r.append_and_witness("plan-a", 1)
        r.key_file.unlink()  # a new key out of nowhere, not signed in by the old one
        await r.append("plan-a")
        await r.checkpoint()
        with pytest.raises(WitnessRefusedError, match="not one I trust"):
            await r.witness_all()
        assert [c.size for c in await unwitnessed(r.pool)] == [2]
        assert "not one I trust" in r.witness.refusals()[0]["reason"]


_CHECKPOINTER = """
import asyncio, sys
from pathlib import Path
from typing import Any
from workers.checkpointer import Checkpointer
from workers.db import create_pool

async def main() -> None:
    pool = await create_pool(sys.argv[1], max_size=2)
    await Checkpointer(pool, Path(sys.argv[2]), origin="acip-test", witness=None,
                       interval=0.01).run()

asyncio.run(main())
"""


async def test_a_checkpointer_killed_at_any_moment_resumes_without_gap_or_double(
    fresh_database_url: str, tmp_path: Path
) -> None:
    async with rig(fresh_database_url, tmp_path) as r:
        appended = 0
        for round_number in range(3):
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", _CHECKPOINTER, fresh_database_url, str(r.key_file)
            )
            await r.append(f"plan-{round_number}", 3)
            appended += 3
            await _until_checkpointed(r, appended)  # it is up and working
            for _ in range(10):
                await r.append(f"plan-{round_number}", 3)
                appended += 3
            await asyncio.sleep(0.003 * round_number)
            process.send_signal(signal.SIGKILL)  # mid-checkpoint or between: no warning
            await process.wait()
        await r.checkpoint()  # whatever the last kill left undone
        rows = await all_checkpoints(r.pool)
        assert rows[0].prev_size == 0
        assert all(b.prev_size == a.size for a, b in itertools.pairwise(rows))
        assert rows[-1].size == appended == 3 * 33
        assert await r.witness_all() == len(rows)
        assert (await r.verify()).ok


async def _until_checkpointed(r: Rig, size: int) -> None:
    await eventually(
        lambda: latest(r.pool),
        until=lambda found: found is not None and found.size >= size,
        within=30,
        what=f"a checkpoint of size {size}",
    )


async def test_the_cli_verifies_against_a_saved_witness_record_and_names_the_place(
    fresh_database_url: str, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from workers.cli import app

    async with rig(fresh_database_url, tmp_path) as r:
        await r.append_and_witness("plan-a", 3)
        record = tmp_path / "witnessed.json"
        record.write_text((await r.client.get("/checkpoints")).text)
        key = r.witness.public_key.hex()
    env = {"ACIP_DATABASE_URL": fresh_database_url, "ACIP_LOG_LEVEL": "warning"}
    args = ["audit", "verify", "--witness-record", str(record), "--witness-key", key]

    def run(*extra: str) -> Any:
        return CliRunner().invoke(app, [*args, *extra], env=env)

    intact = await asyncio.to_thread(run)
    assert intact.exit_code == 0, intact.output
    assert "intact: 3 events in 1 stream(s); the first 3 match 3 witnessed" in intact.stdout
    async with insider(fresh_database_url) as conn:
        await rewrite_stream_from(conn, "plan-a", 3)
    broken = await asyncio.to_thread(run)
    assert broken.exit_code == 1
    assert "event 3 in global order" in broken.stderr and "plan-a version 3" in broken.stderr
    forged_key = await asyncio.to_thread(CliRunner().invoke, app, [*args[:-1], "00" * 31], env=env)
    assert forged_key.exit_code == 2 and "32 bytes" in forged_key.stderr


async def test_get_audit_verify_holds_the_store_against_a_witness_over_http(
    fresh_database_url: str, tmp_path: Path
) -> None:
    import socket
    import threading

    import uvicorn

    from api.context import ApiContext
    from api.routes_audit import witnessed_verification
    from witness.app import create_app

    async with rig(fresh_database_url, tmp_path) as r:
        await r.append_and_witness("plan-a", 2)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(create_app(r.witness), host="127.0.0.1", port=port, log_config=None)
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:

            async def listening() -> bool:  # uvicorn has no "started" event to await
                return bool(server.started)

            await eventually(listening, within=10, what="the witness's uvicorn to listen")
            context = ApiContext(
                pool=r.pool,
                store=r.store,
                temporal=None,  # type: ignore[arg-type]  # not needed to read
                task_queue="unused",
                witness_url=f"http://127.0.0.1:{port}",
                witness_public_key=r.witness.public_key.hex(),
            )
            intact = await witnessed_verification(context)
            assert (intact["ok"], intact["key_pinned"], intact["events"]) == (True, True, 2)
            async with insider(fresh_database_url) as conn:
                await conn.execute("DELETE FROM events WHERE stream_id = 'plan-a' AND version = 2")
            broken = await witnessed_verification(context)
            assert broken["ok"] is False
            assert broken["divergence"]["first_leaf"] == 1
            assert "events are missing" in broken["problems"][0]
        finally:
            server.should_exit = True
            thread.join(timeout=10)
