"""The Merkle part of an audit export: a signed, witnessed checkpoint that covers the plan's
events, an inclusion proof of each event in it, and the public keys to check it all.

Files beside ``events.jsonl`` (docs/eventstore.md "Checking an export offline"):

- ``checkpoint.json``: the checkpoint statement, the operator's signature, the witness's
  cosignature, its key id, time and public key (pin that key: the copy here is only a hint);
- ``proofs.jsonl``: per event, in the order of ``events.jsonl``, its leaf index and the
  RFC 9162 inclusion path to the checkpoint's root;
- ``keys.json``: every operator key (old ones too), with endorsements.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from eventstore import EventStore
from eventstore.checkpoints import Checkpoint, all_checkpoints, published_keys
from eventstore.merkle import MerkleTree, event_leaf_hash, verify_inclusion
from eventstore.tree_head import (
    TreeHead,
    TreeHeadError,
    cosigned_message,
    instant_text,
    key_id,
    signature_valid,
)

CHECKPOINT_FILE = "checkpoint.json"
PROOFS_FILE = "proofs.jsonl"
KEYS_FILE = "keys.json"

_LEAF_PAGE = 5000


class NoCheckpointError(Exception):
    """No signed checkpoint covers the plan's last event yet."""


def covering(checkpoints: list[Checkpoint], last_position: int) -> Checkpoint:
    """The first witnessed checkpoint covering the position, else the first signed one."""
    covers = [c for c in checkpoints if c.last_position >= last_position]
    if not covers:
        raise NoCheckpointError(
            "no checkpoint covers the plan's last event yet: run `acip audit checkpoint`"
        )
    witnessed = [c for c in covers if c.witnessed]
    return (witnessed or covers)[0]


async def proof_files(
    pool: asyncpg.Pool, store: EventStore, rows: list[dict[str, Any]], witness_public_key: str
) -> dict[str, str]:
    """The three files' contents for the plan's rows (as read_stream_raw returns them).
    ``pool`` reaches the checkpoints and keys, ``store`` the leaves up to the checkpoint."""
    checkpoint = covering(await all_checkpoints(pool), rows[-1]["global_position"])
    wanted = {row["global_position"] for row in rows}
    index_of: dict[int, int] = {}
    tree = MerkleTree()
    # Positions up to a checkpoint's are final (it was made from commit-safe reads), so the
    # pages need no common snapshot.
    position = 0
    while page := await store.read_leaves(position, checkpoint.last_position, _LEAF_PAGE):
        for stream_id, version, position, event_hash in page:
            if position in wanted:
                index_of[position] = tree.size
            tree.append(event_leaf_hash(stream_id, version, position, event_hash))
    proofs = []
    for row in rows:
        index = index_of.get(row["global_position"])
        path = [] if index is None else tree.inclusion_path(index, checkpoint.size)
        proofs.append(
            {
                "stream_id": row["stream_id"],
                "version": row["version"],
                "global_position": row["global_position"],
                "hash": row["hash"],
                "leaf_index": index,
                "path": [p.hex() for p in path],
            }
        )
    signed = {
        "size": checkpoint.size,
        "statement": checkpoint.statement,
        "signature": checkpoint.signature,
        "key_id": checkpoint.key_id,
        "witness_key_id": checkpoint.witness_key_id,
        # Exactly the text the witness signed (eventstore.tree_head).
        "witnessed_at": None
        if checkpoint.witnessed_at is None
        else instant_text(checkpoint.witnessed_at),
        "cosignature": checkpoint.cosignature,
        "witness_public_key": witness_public_key or None,
    }
    keys = [asdict(k) for k in await published_keys(pool)]
    return {
        CHECKPOINT_FILE: json.dumps(signed, indent=2) + "\n",
        PROOFS_FILE: "".join(json.dumps(p, separators=(",", ":")) + "\n" for p in proofs),
        KEYS_FILE: json.dumps({"operator_keys": keys}, indent=2) + "\n",
    }


def check_proofs(
    folder: Path, events: list[dict[str, Any]], pinned_witness_key: str = ""
) -> list[str]:
    """Problems with the signatures and inclusion proofs of an export (none: all good)."""
    try:
        signed = json.loads((folder / CHECKPOINT_FILE).read_text())
        keys = json.loads((folder / KEYS_FILE).read_text())["operator_keys"]
        proofs = [json.loads(line) for line in (folder / PROOFS_FILE).read_text().splitlines()]
    except (OSError, ValueError, KeyError) as error:
        return [f"the checkpoint, keys or proofs cannot be read: {error}"]
    try:
        head = TreeHead.parse(signed["statement"])
    except TreeHeadError as error:
        return [f"{CHECKPOINT_FILE}: {error}"]
    problems = []
    operator = {k["key_id"]: bytes.fromhex(k["public_key"]) for k in keys}
    public = operator.get(head.key_id)
    if public is None or key_id(public) != head.key_id:
        problems.append(f"the checkpoint's key {head.key_id} is not in {KEYS_FILE}")
    elif not signature_valid(public, signed["statement"].encode(), signed["signature"]):
        problems.append("the operator's signature on the checkpoint does not verify")
    witness_key = pinned_witness_key or signed.get("witness_public_key") or ""
    if signed.get("cosignature") is None:
        problems.append("the checkpoint is not witnessed")
    elif not witness_key:
        problems.append("no witness public key to check the cosignature with")
    else:
        message = cosigned_message(
            key_id(bytes.fromhex(witness_key)),
            datetime.fromisoformat(signed["witnessed_at"]),
            signed["statement"],
        )
        if not signature_valid(bytes.fromhex(witness_key), message, signed["cosignature"]):
            problems.append("the witness's cosignature does not verify with its key")
    if len(proofs) != len(events):
        problems.append(f"{PROOFS_FILE} holds {len(proofs)} proofs for {len(events)} events")
    for event, proof in zip(events, proofs, strict=False):
        where = f"event version {event.get('version')}"
        leaf = event_leaf_hash(
            str(event["stream_id"]), int(event["version"]), int(event["global_position"]),
            str(event["hash"]),
        )  # fmt: skip
        index = proof.get("leaf_index")
        path = [bytes.fromhex(p) for p in proof.get("path", [])]
        if index is None or not verify_inclusion(leaf, int(index), head.size, path, head.root):
            problems.append(f"{where}: not included in the signed checkpoint (proof fails)")
    return problems
