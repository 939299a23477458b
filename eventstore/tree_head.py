"""Signed tree heads (checkpoints) and their cosignatures: formats and Ed25519 checks.

Standard library and ``cryptography`` only, like eventstore.merkle, so the witness and an
auditor can use it without the rest of the project.

A checkpoint statement is UTF-8 text, one field a line, each line ending in LF:

    acip checkpoint v1
    <origin>            the log's name (settings ``log_origin``), e.g. "acip"
    <size>              number of leaves (events) covered, decimal
    <root>              RFC 9162 root hash of those leaves, lowercase hex
    <signed_at>         UTC, "2026-01-31T08:00:00.000000Z"
    <key_id>            the operator key that signs it

The operator signs the statement's bytes with Ed25519. A witness cosigns the bytes of

    acip cosignature v1
    <witness_key_id>
    <witnessed_at>
    <the statement, verbatim>

A key id is the lowercase hex SHA-256 of the raw 32-byte Ed25519 public key. A new
operator key is endorsed by the previous one: the old key signs
``acip key endorsement v1 LF <new key id> LF``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

STATEMENT_HEADER = "acip checkpoint v1"
COSIGNATURE_HEADER = "acip cosignature v1"
ENDORSEMENT_HEADER = "acip key endorsement v1"


class TreeHeadError(ValueError):
    """A statement that cannot be read."""


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()


def instant_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class TreeHead:
    origin: str
    size: int
    root: bytes
    signed_at: datetime
    key_id: str

    def statement(self) -> str:
        return (
            f"{STATEMENT_HEADER}\n{self.origin}\n{self.size}\n{self.root.hex()}\n"
            f"{instant_text(self.signed_at)}\n{self.key_id}\n"
        )

    @classmethod
    def parse(cls, statement: str) -> TreeHead:
        lines = statement.split("\n")
        if len(lines) != 7 or lines[0] != STATEMENT_HEADER or lines[6] != "":
            raise TreeHeadError(f"not an {STATEMENT_HEADER!r} statement")
        try:
            head = cls(
                origin=lines[1],
                size=int(lines[2]),
                root=bytes.fromhex(lines[3]),
                signed_at=datetime.strptime(lines[4], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC),
                key_id=lines[5],
            )
        except ValueError as error:
            raise TreeHeadError(f"unreadable statement: {error}") from None
        if head.statement() != statement or len(head.root) != 32 or head.size < 1:
            raise TreeHeadError("statement is not in canonical form")
        return head


def cosigned_message(witness_key_id: str, witnessed_at: datetime, statement: str) -> bytes:
    return (
        f"{COSIGNATURE_HEADER}\n{witness_key_id}\n{instant_text(witnessed_at)}\n{statement}"
    ).encode()


def endorsement_message(new_key_id: str) -> bytes:
    return f"{ENDORSEMENT_HEADER}\n{new_key_id}\n".encode()


def sign(private_key: Ed25519PrivateKey, message: bytes) -> str:
    return private_key.sign(message).hex()


def signature_valid(public_key: bytes, message: bytes, signature_hex: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True
