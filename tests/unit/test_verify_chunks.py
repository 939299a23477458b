"""The whole-store verify split into aligned chunks (eventstore/verify_chunks.py, as the
worker processes run it) reports exactly what one pass over the rows reports.

Rows in ``STORED_ROWS`` layout with real hashes, several streams interleaved, witnessed
checkpoints at many sizes; then the rows tampered in every way the checks tell apart. Each
chunk size, from one leaf to more than the store, must give the same chain breaks, the
same divergence (leaf range and the event named), the same root and matched checkpoints.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from eventstore.hashing import canonical_datetime, compute_hash
from eventstore.log_verify import LogVerifier, WitnessedCheckpoint
from eventstore.merkle import Frontier, MerkleTree, event_leaf_hash
from eventstore.models import GENESIS_HASH
from eventstore.tree_head import TreeHead
from eventstore.verify_chunks import ChunkPass

_WHEN = datetime(2026, 1, 1, tzinfo=UTC)
_STREAMS = 7


def _store(events: int) -> list[tuple[Any, ...]]:
    """Valid rows, stream i taking every 7th event (positions 10, 20, ...)."""
    heads: dict[str, tuple[int, str]] = {}
    rows = []
    for n in range(events):
        stream = f"plan-{n % _STREAMS}"
        version, prev = heads.get(stream, (0, GENESIS_HASH))
        event = {
            "event_id": str(uuid.UUID(int=n)), "stream_id": stream, "version": version + 1,
            "type": "measure_added", "schema_version": 1, "data": {"n": n, "w": 0.25},
            "metadata": {"actor": f"u-{n % 3}"}, "occurred_at": _WHEN,
        }  # fmt: skip
        digest = compute_hash(prev, event)
        heads[stream] = (version + 1, digest)
        rows.append((
            event["event_id"], stream, version + 1, (n + 1) * 10, "measure_added", 1,
            json.dumps(event["data"]), json.dumps(event["metadata"]),
            canonical_datetime(_WHEN) + "AD", prev, digest,
        ))  # fmt: skip
    return rows


def _witnessed(rows: list[tuple[Any, ...]], sizes: list[int]) -> list[WitnessedCheckpoint]:
    tree = MerkleTree(event_leaf_hash(r[1], r[2], r[3], r[10]) for r in rows)
    checkpoints = []
    for size in sizes:
        frontier = Frontier()
        frontier.extend(tree.subtree(i, i + 1) for i in range(size))
        head = TreeHead("test", size, tree.root_at(size), _WHEN, "k" * 64)
        checkpoints.append(WitnessedCheckpoint(head, frontier, _WHEN.isoformat()))
    return checkpoints


def _one_pass(rows: list[tuple[Any, ...]], checkpoints: list[WitnessedCheckpoint]) -> Any:
    verifier = LogVerifier(checkpoints)
    verifier.feed_stored(rows)
    verifier.finish()
    return verifier


def _in_chunks(
    rows: list[tuple[Any, ...]], checkpoints: list[WitnessedCheckpoint], leaves: int
) -> Any:
    verifier = LogVerifier(checkpoints)
    ends, names = verifier.marks()
    for start in range(0, len(rows), leaves):
        part = ChunkPass(start, ends, names)
        part.feed(rows[start : start + leaves])
        verifier.add_chunk(part.result())
    verifier.finish()
    return verifier


def _tampered(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    out = [list(r) for r in rows]
    out[40][6] = '{"n": 40, "w": 0.5}'  # content changed, chain intact
    out[77][9] = "0" * 64  # link forged
    del out[150]  # an event removed: a version gap, every later leaf moves
    out[200][8] = "2026-01-01T00:00:00.000001ZAD"  # the instant moved
    out[201][6] = '{"n": 1}'  # changed and ...
    out[201][9] = "f" * 64  # ... its link broken: named once, as a broken link
    return [tuple(r) for r in out]


def _report(verifier: LogVerifier) -> tuple[Any, ...]:
    return (
        verifier.chain_breaks,
        verifier.divergence,
        verifier.frontier.size,
        verifier.frontier.root(),
        verifier.matched_checkpoints,
        verifier.streams,
    )


@pytest.mark.parametrize("leaves", [1, 2, 4, 16, 64, 512])
@pytest.mark.parametrize("tamper", [False, True])
def test_chunks_report_what_one_pass_reports(leaves: int, tamper: bool) -> None:
    rows = _store(300)
    checkpoints = _witnessed(rows, [1, 5, 37, 64, 100, 129, 200, 255, 300])
    if tamper:
        rows = _tampered(rows)
    one = _one_pass(rows, checkpoints)
    assert _report(_in_chunks(rows, checkpoints, leaves)) == _report(one)
    if tamper:
        assert one.divergence is not None and len(one.chain_breaks) == 5, one.chain_breaks
    else:
        assert (one.chain_breaks, one.divergence, one.matched_checkpoints) == ([], None, 9)


@pytest.mark.parametrize("leaves", [1, 8, 32])
def test_a_store_shorter_than_witnessed_names_the_same_place(leaves: int) -> None:
    rows = _store(120)
    checkpoints = _witnessed(rows, [50, 120])
    one = _one_pass(rows[:97], checkpoints)
    assert one.divergence is not None and one.divergence.checkpoint_size == 120
    assert _report(_in_chunks(rows[:97], checkpoints, leaves)) == _report(one)


def test_a_subtree_added_whole_is_the_leaves_added_one_by_one() -> None:
    leaves = [bytes([i]) * 32 for i in range(45)]
    one_by_one = Frontier()
    one_by_one.extend(leaves)
    whole = Frontier()
    start = 0
    for width in (1, 1, 2, 4, 8, 16, 4, 4, 2, 2, 1):  # each aligned where it is added
        part = MerkleTree(leaves[start : start + width])
        whole.append_subtree(part.root(), width)
        start += width
    assert (whole.size, whole.hashes) == (45, one_by_one.hashes)
    with pytest.raises(ValueError):
        whole.append_subtree(leaves[0], 2)  # 45 is not a multiple of 2
