"""Ed25519 signing keys in files, never in the database.

A key file holds the private key as PKCS#8 PEM with permissions 0600; it is created on
first use. Rotation moves the current key to ``retired/<key id>.pem`` beside it (kept so
that the public half stays known; the private half could be destroyed, nothing needs it
again) and writes a new one, endorsed by the old key (eventstore.tree_head). Public keys
are published with their endorsements (``PublicKeyRecord``); a checkpoint names the key
that signed it, so old checkpoints stay verifiable after any number of rotations.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from eventstore.tree_head import endorsement_message, key_id, public_key_bytes, sign


class KeyFileError(Exception):
    """A key file that is unsafe or unreadable."""


@dataclass(frozen=True)
class PublicKeyRecord:
    key_id: str
    public_key: str  # raw 32 bytes, hex
    endorsed_by: str | None = None  # the key that signed this one in, if any
    endorsement: str | None = None


@dataclass(frozen=True)
class SigningKey:
    private_key: Ed25519PrivateKey
    public_key: bytes
    key_id: str

    @classmethod
    def of(cls, private_key: Ed25519PrivateKey) -> SigningKey:
        public = public_key_bytes(private_key.public_key())
        return cls(private_key, public, key_id(public))

    def sign(self, message: bytes) -> str:
        return sign(self.private_key, message)


def _write_private(path: Path, private_key: Ed25519PrivateKey) -> None:
    pem = private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # O_EXCL: never overwrite a key; 0600 from the first byte, not chmod'ed afterwards.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(pem)


def _read_private(path: Path) -> SigningKey:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise KeyFileError(f"{path} is readable by others (mode {mode:o}); chmod 600 it")
    try:
        private_key = load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as error:
        raise KeyFileError(f"{path} is not a PEM private key: {error}") from None
    if not isinstance(private_key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 key")
    return SigningKey.of(private_key)


def load_or_create(path: Path) -> SigningKey:
    """The key in ``path``, created (0600) if there is none yet."""
    if not path.exists():
        # Another process may have created it a moment ago: then use theirs.
        with contextlib.suppress(FileExistsError):
            _write_private(path, Ed25519PrivateKey.generate())
    return _read_private(path)


def _endorsement_path(path: Path, key: str) -> Path:
    return path.parent / "endorsements" / f"{key}.sig"


def rotate(path: Path) -> tuple[SigningKey, SigningKey]:
    """Retire the key in ``path`` and create its successor; returns (old, new)."""
    old = load_or_create(path)
    retired = path.parent / "retired" / f"{old.key_id}.pem"
    retired.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.replace(path, retired)
    new = load_or_create(path)
    endorsement = _endorsement_path(path, new.key_id)
    endorsement.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    endorsement.write_text(f"{old.key_id}\n{old.sign(endorsement_message(new.key_id))}\n")
    return old, new


def public_records(path: Path) -> list[PublicKeyRecord]:
    """Every key that ever signed here, oldest first (following the endorsements back
    from the current key; a retired key outside that chain comes first)."""
    keys = {k.key_id: k for k in map(_read_private, (path.parent / "retired").glob("*.pem"))}
    current = _read_private(path) if path.exists() else None
    if current is not None:
        keys[current.key_id] = current
    records: dict[str, PublicKeyRecord] = {}
    for key in keys.values():
        endorsed_by = endorsement = None
        endorsement_file = _endorsement_path(path, key.key_id)
        if endorsement_file.exists():
            endorsed_by, endorsement = endorsement_file.read_text().split()
        records[key.key_id] = PublicKeyRecord(
            key.key_id, key.public_key.hex(), endorsed_by, endorsement
        )
    chain: list[PublicKeyRecord] = []
    cursor = None if current is None else records.get(current.key_id)
    while cursor is not None and cursor not in chain:
        chain.append(cursor)
        cursor = records.get(cursor.endorsed_by or "")
    chain.reverse()
    others = sorted((r for r in records.values() if r not in chain), key=lambda r: r.key_id)
    return others + chain
