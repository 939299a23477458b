"""Check an acip audit export with nothing but Python, rfc8785 and cryptography.

    python verify_export.py EXPORT_FOLDER WITNESS_PUBLIC_KEY_HEX

Exit 0 when every event's hash chain holds, every event is included in the checkpoint,
the operator signed the checkpoint and the witness cosigned it; 1 otherwise.
(docs/eventstore.md, "Checking an export offline"; this file imports nothing from acip.)
"""

import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def valid(public_hex: str, message: bytes, signature_hex: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        key.verify(bytes.fromhex(signature_hex), message)
        return True
    except (InvalidSignature, ValueError):
        return False


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def included(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    # RFC 9162 section 2.1.3.2
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def main(folder: Path, witness_key: str) -> int:
    problems = []
    signed = json.loads((folder / "checkpoint.json").read_text())
    listed = json.loads((folder / "keys.json").read_text())["operator_keys"]
    keys = {k["key_id"]: k["public_key"] for k in listed}
    statement = signed["statement"]
    _header, _origin, size_text, root_hex, signed_at, key_id, _end = statement.split("\n")
    size, root = int(size_text), bytes.fromhex(root_hex)
    operator = keys.get(key_id, "")
    if not operator or hashlib.sha256(bytes.fromhex(operator)).hexdigest() != key_id:
        problems.append(f"operator key {key_id} missing from keys.json")
    elif not valid(operator, statement.encode(), signed["signature"]):
        problems.append("operator signature does not verify")
    witness_id = hashlib.sha256(bytes.fromhex(witness_key)).hexdigest()
    cosigned = f"acip cosignature v1\n{witness_id}\n{signed['witnessed_at']}\n{statement}"
    if not valid(witness_key, cosigned.encode(), signed["cosignature"] or ""):
        problems.append("witness cosignature does not verify with the pinned witness key")

    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    proofs = [json.loads(line) for line in (folder / "proofs.jsonl").read_text().splitlines()]
    if len(events) != len(proofs):
        problems.append("not one proof per event")
    prev: dict[str, tuple[int, str]] = {}
    for e, proof in zip(events, proofs, strict=False):
        where = f"{e['stream_id']} version {e['version']}"
        t = datetime.fromisoformat(e["occurred_at"].replace("Z", "+00:00")).astimezone(UTC)
        body = rfc8785.dumps(
            {
                "data": e["data"],
                "event_id": e["event_id"],
                "metadata": e["metadata"],
                "occurred_at": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "schema_version": e["schema_version"],
                "stream_id": e["stream_id"],
                "type": e["type"],
                "version": e["version"],
            }
        )
        version, last = prev.get(e["stream_id"], (0, "0" * 64))
        if e["version"] != version + 1 or e["prev_hash"] != last:
            problems.append(f"{where}: chain broken")
        if hashlib.sha256(e["prev_hash"].encode() + body).hexdigest() != e["hash"]:
            problems.append(f"{where}: hash mismatch")
        prev[e["stream_id"]] = (e["version"], e["hash"])
        leaf = f"{e['stream_id']}\n{e['version']}\n{e['global_position']}\n{e['hash']}".encode()
        leaf_hash = hashlib.sha256(b"\x00" + leaf).digest()
        path = [bytes.fromhex(p) for p in proof["path"]]
        index = proof["leaf_index"]
        if index is None or not included(leaf_hash, index, size, path, root):
            problems.append(f"{where}: not included in the checkpoint of size {size}")
    for problem in problems:
        print("BROKEN:", problem)
    if not problems:
        print(f"intact: {len(events)} events, included in checkpoint {size} signed {signed_at}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2]))
