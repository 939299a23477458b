"""Reading the witness's record: its cosigned checkpoints and the key to check them with.

The key should be pinned (copied once from the witness's operator, by another channel, into
``ACIP_WITNESS_PUBLIC_KEY``); without a pin it is asked of the witness itself, which only
holds if the address really reaches the witness, and the answer says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


class WitnessRecordError(Exception):
    """The witness cannot be reached or its record cannot be read."""


@dataclass(frozen=True)
class WitnessRecord:
    record: dict[str, Any]
    public_key: bytes
    key_pinned: bool


async def fetch_record(
    url: str, pinned_key_hex: str = "", *, read_timeout: float = 10.0
) -> WitnessRecord:
    try:
        async with httpx.AsyncClient(base_url=url, timeout=read_timeout) as client:
            record = (await client.get("/checkpoints")).raise_for_status().json()
            key_hex = (
                pinned_key_hex or (await client.get("/key")).raise_for_status().json()["public_key"]
            )
    except (httpx.HTTPError, ValueError, KeyError) as error:
        raise WitnessRecordError(f"cannot read the witness at {url}: {error}") from None
    return _checked(record, key_hex, bool(pinned_key_hex))


def read_record_file(path: Path, pinned_key_hex: str) -> WitnessRecord:
    """A saved copy of the witness's ``GET /checkpoints``; the key must be pinned then,
    since a key inside the copy proves nothing."""
    if not pinned_key_hex:
        raise WitnessRecordError("a saved witness record needs the witness's public key")
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise WitnessRecordError(f"cannot read {path}: {error}") from None
    return _checked(record, pinned_key_hex, True)


def _checked(record: Any, key_hex: str, pinned: bool) -> WitnessRecord:
    if not isinstance(record, dict) or not isinstance(record.get("checkpoints"), list):
        raise WitnessRecordError("the witness record has no list of checkpoints")
    try:
        key = bytes.fromhex(key_hex)
    except ValueError:
        raise WitnessRecordError("the witness public key is not hex") from None
    if len(key) != 32:
        raise WitnessRecordError("the witness public key is not 32 bytes")
    return WitnessRecord(record, key, pinned)
