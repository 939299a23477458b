"""What a plan remembers of its keyed commands, so a retry is answered honestly.

A ``command_id`` (or an Idempotency-Key the API maps to one) is remembered with a
fingerprint of the command and its actor and with where its events landed. The same key
with the same command from the same actor replays the first answer; anything else under
that key is refused as ``idempotency_key_reused``.

The memory crosses continue-as-new, so it is kept small: one short string per key and
fingerprint and two integers, column by column (about 50 bytes a command, so the last
1,000 commands fit in well under 64 KiB). The events of a command are contiguous in the
plan's stream and end at its version, so the version and the count locate them; whoever
needs their data reads them from the event store.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Self

from pydantic import BaseModel, Field, model_validator

from domain import Actor, Command

IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
# 96 bits of SHA-256: a second command that collides under one key is out of reach.
FINGERPRINT_BYTES = 12
# Entries carried from runs older than fingerprints: replayed after authorization only.
UNKNOWN_FINGERPRINT = ""


def _short(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def memory_key(command_id: uuid.UUID | str) -> str:
    """A command_id as 22 characters (its 16 bytes in base64url) instead of 36."""
    return _short(uuid.UUID(str(command_id)).bytes)


def command_fingerprint(command: Command, actor: Actor) -> str:
    """A stable hash of the command's canonical JSON (type and fields, without command_id and
    expected_version) and of its actor's name and role.

    Fields left at their default are left out, so a field added later with a default does
    not change the fingerprint of a command remembered before it existed.
    """
    fields = command.model_dump(
        mode="json", exclude={"command_id", "expected_version"}, exclude_defaults=True
    )
    fields["type"] = command.type
    canonical = json.dumps(
        {"command": fields, "actor": actor.name, "role": str(actor.role)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return _short(hashlib.sha256(canonical.encode("utf-8")).digest()[:FINGERPRINT_BYTES])


@dataclass(frozen=True)
class CommandReceipt:
    """The first answer to a key: its fingerprint, the plan version after it, its events."""

    fingerprint: str
    version: int
    event_count: int

    @property
    def first_event_version(self) -> int:
        return self.version - self.event_count + 1


class CommandMemory(BaseModel):
    """Receipts of the most recent keyed commands, oldest first, one column per field."""

    keys: list[str] = Field(default_factory=list)
    fingerprints: list[str] = Field(default_factory=list)
    versions: list[int] = Field(default_factory=list)
    event_counts: list[int] = Field(default_factory=list)

    @model_validator(mode="after")
    def _columns_align(self) -> Self:
        lengths = {
            len(self.keys),
            len(self.fingerprints),
            len(self.versions),
            len(self.event_counts),
        }
        if len(lengths) != 1:
            raise ValueError("command memory columns differ in length")
        return self

    @classmethod
    def of(cls, receipts: dict[str, CommandReceipt]) -> CommandMemory:
        return cls(
            keys=list(receipts),
            fingerprints=[r.fingerprint for r in receipts.values()],
            versions=[r.version for r in receipts.values()],
            event_counts=[r.event_count for r in receipts.values()],
        )

    def receipts(self) -> dict[str, CommandReceipt]:
        return {
            key: CommandReceipt(fingerprint, version, count)
            for key, fingerprint, version, count in zip(
                self.keys, self.fingerprints, self.versions, self.event_counts, strict=True
            )
        }
