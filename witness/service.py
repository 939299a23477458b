"""The witness: checks that each checkpoint extends the last one it cosigned, and cosigns.

Its own key (``witness.key``, 0600) and its own storage (``witness.sqlite3``) under its own
home; it never reads the product's database. A submission is accepted only when:

1. the operator's signature verifies with an operator key the witness trusts: the first
   key it is ever shown (trust on first use, logged), or one endorsed by a trusted key;
2. the statement is for the same log (origin) as before and its frontier hashes to its root;
3. it extends the last cosigned checkpoint: its consistency proof from that size verifies.

Anything else is refused: logged, kept in ``refusals``, and answered with the reason.
Re-sending the checkpoint it already cosigned returns the same cosignature (a checkpointer
that crashed before recording the answer). Only the checkpoint proofs are imported from the
project (eventstore.merkle, eventstore.tree_head), which need nothing but the standard
library and ``cryptography``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from eventstore.merkle import Frontier, verify_consistency
from eventstore.tree_head import (
    TreeHead,
    TreeHeadError,
    cosigned_message,
    endorsement_message,
    key_id,
    public_key_bytes,
    signature_valid,
)

log = logging.getLogger("acip.witness")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cosigned (
    size INTEGER PRIMARY KEY, prev_size INTEGER NOT NULL, origin TEXT NOT NULL,
    root TEXT NOT NULL, statement TEXT NOT NULL, operator_key_id TEXT NOT NULL,
    operator_signature TEXT NOT NULL, consistency_proof TEXT NOT NULL, frontier TEXT NOT NULL,
    witnessed_at TEXT NOT NULL, cosignature TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS operator_keys (
    key_id TEXT PRIMARY KEY, public_key TEXT NOT NULL, endorsed_by TEXT, endorsement TEXT,
    accepted_at TEXT NOT NULL, how TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS refusals (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, reason TEXT NOT NULL,
    size INTEGER, statement TEXT);
"""


class RefusedError(Exception):
    def __init__(self, reason: str, last_size: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.last_size = last_size


@dataclass(frozen=True)
class Cosignature:
    size: int
    witness_key_id: str
    witnessed_at: str
    cosignature: str


def _load_or_create_key(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        pem = Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
            f.write(pem)
    if path.stat().st_mode & 0o077:
        raise PermissionError(f"{path} is readable by others; chmod 600 it")
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 key")
    return key


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Witness:
    def __init__(self, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._key = _load_or_create_key(home / "witness.key")
        self.public_key = public_key_bytes(self._key.public_key())
        self.key_id = key_id(self.public_key)
        self._db = sqlite3.connect(home / "witness.sqlite3", check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()  # one submission at a time: they must chain

    def close(self) -> None:
        self._db.close()

    def last(self) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._db.execute(
            "SELECT * FROM cosigned ORDER BY size DESC LIMIT 1"
        ).fetchone()
        return row

    def submit(self, submission: dict[str, Any]) -> Cosignature:
        with self._lock:
            last = self.last()
            last_size = 0 if last is None else int(last["size"])
            try:
                return self._check_and_cosign(submission, last)
            except RefusedError as refused:
                self._refuse(refused.reason, submission)
                raise
            except (KeyError, TypeError, ValueError) as error:
                reason = f"malformed submission: {type(error).__name__}: {error}"
                self._refuse(reason, submission)
                raise RefusedError(reason, last_size) from None

    def _check_and_cosign(
        self, submission: dict[str, Any], last: sqlite3.Row | None
    ) -> Cosignature:
        last_size = 0 if last is None else int(last["size"])
        statement = str(submission["statement"])
        try:
            head = TreeHead.parse(statement)
        except TreeHeadError as error:
            raise RefusedError(str(error), last_size) from None
        if last is not None and head.size == last_size and statement == last["statement"]:
            return self._cosignature_of(last)
        self._accept_keys(submission.get("operator_keys", []), last_size)
        operator_key = self._operator_key(head.key_id)
        if operator_key is None:
            raise RefusedError(f"operator key {head.key_id} is not one I trust", last_size)
        if not signature_valid(operator_key, statement.encode(), str(submission["signature"])):
            raise RefusedError("the operator's signature does not verify", last_size)
        if last is not None and head.origin != last["origin"]:
            raise RefusedError(f"log {head.origin!r} is not the log {last['origin']!r}", last_size)
        frontier = Frontier.from_hex(head.size, [str(h) for h in submission["frontier"]])
        if frontier.root() != head.root:
            raise RefusedError("the frontier does not hash to the statement's root", last_size)
        proof = [bytes.fromhex(str(h)) for h in submission["consistency_proof"]]
        previous = int(submission["previous_size"])
        if last is not None:
            if previous != last_size:
                raise RefusedError(
                    f"the proof is from size {previous}; the last I cosigned is {last_size}",
                    last_size,
                )
            if not verify_consistency(
                last_size, head.size, proof, bytes.fromhex(last["root"]), head.root
            ):
                raise RefusedError(
                    f"NOT AN EXTENSION: size {head.size} root {head.root.hex()} is not "
                    f"consistent with the cosigned size {last_size} root {last['root']}",
                    last_size,
                )
        else:
            log.warning("first checkpoint seen: trusting size %s as the start", head.size)
        witnessed_at = _now()
        cosignature = self._key.sign(
            cosigned_message(self.key_id, datetime.fromisoformat(witnessed_at), statement)
        ).hex()
        self._db.execute(
            "INSERT INTO cosigned VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                head.size, previous if last is not None else 0, head.origin, head.root.hex(),
                statement, head.key_id, str(submission["signature"]),
                json.dumps([p.hex() for p in proof]), json.dumps(frontier.to_hex()),
                witnessed_at, cosignature,
            ),
        )  # fmt: skip
        self._db.commit()
        log.info("cosigned checkpoint size=%s root=%s", head.size, head.root.hex())
        return Cosignature(head.size, self.key_id, witnessed_at, cosignature)

    def _cosignature_of(self, row: sqlite3.Row) -> Cosignature:
        return Cosignature(
            int(row["size"]), self.key_id, str(row["witnessed_at"]), str(row["cosignature"])
        )

    def _operator_key(self, operator_key_id: str) -> bytes | None:
        row = self._db.execute(
            "SELECT public_key FROM operator_keys WHERE key_id = ?", (operator_key_id,)
        ).fetchone()
        return None if row is None else bytes.fromhex(row["public_key"])

    def _accept_keys(self, records: list[dict[str, Any]], last_size: int) -> None:
        """Learn the keys offered: the first one ever on first use, later ones only when
        endorsed by a key already trusted."""
        for record in records:
            public = bytes.fromhex(str(record["public_key"]))
            offered_id = key_id(public)
            if offered_id != record["key_id"] or self._operator_key(offered_id) is not None:
                continue
            trusted_any = self._db.execute("SELECT 1 FROM operator_keys LIMIT 1").fetchone()
            endorser_id = record.get("endorsed_by")
            endorser = None if endorser_id is None else self._operator_key(str(endorser_id))
            if trusted_any is None:
                how = "first use"
            elif endorser is not None and signature_valid(
                endorser, endorsement_message(offered_id), str(record.get("endorsement"))
            ):
                how = f"endorsed by {endorser_id}"
            else:
                continue
            log.warning("operator key %s trusted (%s)", offered_id, how)
            self._db.execute(
                "INSERT INTO operator_keys VALUES (?, ?, ?, ?, ?, ?)",
                (offered_id, public.hex(), endorser_id, record.get("endorsement"), _now(), how),
            )
            self._db.commit()

    def _refuse(self, reason: str, submission: dict[str, Any]) -> None:
        statement = submission.get("statement") if isinstance(submission, dict) else None
        size = None
        with contextlib.suppress(TreeHeadError):
            size = TreeHead.parse(str(statement)).size
        log.error("REFUSED checkpoint size=%s: %s", size, reason)
        self._db.execute(
            "INSERT INTO refusals (at, reason, size, statement) VALUES (?, ?, ?, ?)",
            (_now(), reason, size, None if statement is None else str(statement)),
        )
        self._db.commit()

    def cosigned(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM cosigned ORDER BY size").fetchall()
        return [
            {
                **dict(row),
                "consistency_proof": json.loads(row["consistency_proof"]),
                "frontier": json.loads(row["frontier"]),
                "witness_key_id": self.key_id,
            }
            for row in rows
        ]

    def operator_keys(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM operator_keys ORDER BY accepted_at").fetchall()
        return [dict(row) for row in rows]

    def refusals(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._db.execute("SELECT * FROM refusals ORDER BY id")]
