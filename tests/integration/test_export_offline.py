"""An export with its signed, witnessed checkpoint and inclusion proofs, checked offline by
the project and by docs/recipes/verify_export.py (which imports nothing from acip)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from projections.export import export_plan, verify_export
from tests.integration.witness_harness import rig

RECIPE = Path(__file__).resolve().parents[2] / "docs" / "recipes" / "verify_export.py"
# Run the recipe as an auditor would: isolated (no cwd or project on sys.path), and prove
# afterwards that no module of the project was loaded.
_RUN_ISOLATED = """
import runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    ours = {"eventstore", "projections", "workers", "api", "domain", "witness", "activities"}
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ours)
    print("project modules loaded:", loaded)
"""


def recipe(folder: Path, witness_key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", "-c", _RUN_ISOLATED, str(RECIPE), str(folder), witness_key],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=60,
    )


async def test_an_export_verifies_offline_with_nothing_from_the_project(
    fresh_database_url: str, tmp_path: Path
) -> None:
    async with rig(fresh_database_url, tmp_path) as r:
        await r.append("plan-GHA-2026", 3)
        await r.append("plan-KEN-2026", 4)
        await r.append("plan-GHA-2026", 2)
        await r.checkpoint()
        await r.witness_all()
        await r.append("plan-GHA-2026", 1)  # after the checkpoint
        witness_key = r.witness.public_key.hex()
        early = await export_plan(r.pool, r.store, "GHA-2026", tmp_path / "early")
        # Nothing signed covers the last event yet: the chain only, and it says so.
        assert (early.format_version, early.checkpoint_size) == (1, None)
        await r.checkpoint()
        await r.witness_all()
        folder = tmp_path / "export"
        manifest = await export_plan(
            r.pool, r.store, "GHA-2026", folder, witness_public_key=witness_key
        )
    assert (manifest.format_version, manifest.checkpoint_size) == (2, 10)
    assert {p.name for p in folder.iterdir()} == {
        "events.jsonl", "proofs.jsonl", "checkpoint.json", "keys.json", "manifest.json"
    }  # fmt: skip
    assert verify_export(folder, witness_key).ok
    assert not verify_export(folder, "ab" * 32).ok
    done = recipe(folder, witness_key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "intact: 6 events" in done.stdout
    assert "project modules loaded: []" in done.stdout

    # A forged witness key, or one changed event, and the recipe says BROKEN.
    forged = recipe(folder, "ab" * 32)
    assert forged.returncode == 1 and "witness cosignature" in forged.stdout
    lines = (folder / "events.jsonl").read_text().splitlines()
    event = json.loads(lines[1])
    event["data"] = {"n": 42}
    lines[1] = json.dumps(event)
    (folder / "events.jsonl").write_text("\n".join(lines) + "\n")
    broken = recipe(folder, witness_key)
    assert broken.returncode == 1
    assert "plan-GHA-2026 version 2: hash mismatch" in broken.stdout
    assert not verify_export(folder, witness_key).ok
