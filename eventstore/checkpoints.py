"""Making and keeping signed checkpoints of the Merkle log (table ``checkpoints``).

``make_checkpoint`` continues the tree from the latest checkpoint's frontier with the
events committed since (commit-safe order, as ``read_all``), signs the new head and
inserts it in one statement: the row is the checkpointer's position and its output
together, so a crash before the commit leaves nothing and the next run starts from the
previous row (no gap), and the unique ``prev_size`` refuses a second checkpoint on the same
predecessor (no double, no fork).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from eventstore._sql import POSITIONS_PER_TRANSACTION
from eventstore.keys import PublicKeyRecord, SigningKey
from eventstore.log_verify import (
    Divergence,
    LogVerifier,
    WitnessedCheckpoint,
    check_witness_record,
)
from eventstore.merkle import Frontier, MerkleTree, event_leaf_hash
from eventstore.tree_head import TreeHead
from eventstore.verify_feed import CHUNK_LEAVES, PARALLEL_AFTER, feed_store

# Rows of the leaves after a position, only of ended transactions (as read_all).
LEAVES_AFTER = (
    "SELECT stream_id, version, global_position, hash FROM events"
    " WHERE global_position > $1 AND global_position <"
    f" pg_snapshot_xmin(pg_current_snapshot())::text::bigint * {POSITIONS_PER_TRANSACTION}"
    " ORDER BY global_position LIMIT $2"
)
_LEAVES_BETWEEN = (
    "SELECT stream_id, version, global_position, hash FROM events"
    " WHERE global_position > $1 AND global_position <= $2 ORDER BY global_position"
)
_COLUMNS = (
    "size, prev_size, last_position, root_hash, frontier, consistency_proof, statement,"
    " key_id, signature, signed_at, witness_key_id, cosignature, witnessed_at"
)
_LATEST = f"SELECT {_COLUMNS} FROM checkpoints ORDER BY size DESC LIMIT 1"
_INSERT = f"""
INSERT INTO checkpoints ({_COLUMNS})
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL, NULL)
ON CONFLICT DO NOTHING
RETURNING size
"""
_PAGE = 5000

Queryable = asyncpg.Connection | asyncpg.Pool | asyncpg.pool.PoolConnectionProxy


@dataclass(frozen=True)
class Checkpoint:
    size: int
    prev_size: int
    last_position: int
    root_hash: str
    frontier: list[str]
    consistency_proof: list[str]
    statement: str
    key_id: str
    signature: str
    signed_at: datetime
    witness_key_id: str | None
    cosignature: str | None
    witnessed_at: datetime | None

    @classmethod
    def of(cls, row: asyncpg.Record) -> Checkpoint:
        return cls(**dict(row))

    @property
    def witnessed(self) -> bool:
        return self.cosignature is not None

    def as_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "prev_size": self.prev_size,
            "root_hash": self.root_hash,
            "statement": self.statement,
            "key_id": self.key_id,
            "signature": self.signature,
            "signed_at": self.signed_at.isoformat(),
            "witness_key_id": self.witness_key_id,
            "cosignature": self.cosignature,
            "witnessed_at": None if self.witnessed_at is None else self.witnessed_at.isoformat(),
        }


def leaf_of(row: asyncpg.Record | dict[str, Any]) -> bytes:
    return event_leaf_hash(row["stream_id"], row["version"], row["global_position"], row["hash"])


async def latest(conn: Queryable) -> Checkpoint | None:
    row = await conn.fetchrow(_LATEST)
    return None if row is None else Checkpoint.of(row)


async def all_checkpoints(conn: Queryable) -> list[Checkpoint]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM checkpoints ORDER BY size")
    return [Checkpoint.of(row) for row in rows]


async def unwitnessed(conn: Queryable) -> list[Checkpoint]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM checkpoints WHERE cosignature IS NULL ORDER BY size"
    )
    return [Checkpoint.of(row) for row in rows]


async def record_cosignature(
    conn: Queryable,
    size: int,
    witness_key_id: str,
    cosignature: str,
    witnessed_at: datetime,
) -> None:
    await conn.execute(
        "UPDATE checkpoints SET witness_key_id = $2, cosignature = $3, witnessed_at = $4"
        " WHERE size = $1",
        size,
        witness_key_id,
        cosignature,
        witnessed_at,
    )


async def publish_keys(conn: Queryable, records: Sequence[PublicKeyRecord]) -> None:
    await conn.executemany(
        "INSERT INTO checkpoint_keys (key_id, public_key, endorsed_by, endorsement)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (key_id) DO UPDATE SET"
        " endorsed_by = coalesce(checkpoint_keys.endorsed_by, EXCLUDED.endorsed_by),"
        " endorsement = coalesce(checkpoint_keys.endorsement, EXCLUDED.endorsement)",
        [(r.key_id, r.public_key, r.endorsed_by, r.endorsement) for r in records],
    )


async def published_keys(conn: Queryable) -> list[PublicKeyRecord]:
    rows = await conn.fetch(
        "SELECT key_id, public_key, endorsed_by, endorsement FROM checkpoint_keys"
        " ORDER BY first_seen, key_id"
    )
    return [PublicKeyRecord(**dict(row)) for row in rows]


async def leaves_between(conn: Queryable, after_position: int, up_to_position: int) -> list[bytes]:
    rows = await conn.fetch(_LEAVES_BETWEEN, after_position, up_to_position)
    return [leaf_of(row) for row in rows]


async def make_checkpoint(
    pool: asyncpg.Pool,
    key: SigningKey,
    *,
    origin: str,
    max_leaves: int = 1_000_000,
    now: datetime | None = None,
) -> Checkpoint | None:
    """Sign and store a checkpoint of everything committed since the latest one.

    Returns None when there is nothing new, or when another checkpointer stored a
    checkpoint on the same predecessor first (then its row is the new latest).
    """
    async with pool.acquire() as conn:
        previous = await latest(conn)
        base = (
            Frontier() if previous is None else Frontier.from_hex(previous.size, previous.frontier)
        )
        position = 0 if previous is None else previous.last_position
        tree = MerkleTree(base=base)
        while tree.size - base.size < max_leaves:
            rows = await conn.fetch(LEAVES_AFTER, position, _PAGE)
            if not rows:
                break
            for row in rows:
                tree.append(leaf_of(row))
            position = rows[-1]["global_position"]
        if tree.size == base.size:
            return None
        frontier = Frontier(base.size, list(base.hashes))
        frontier.extend(tree.subtree(i, i + 1) for i in range(base.size, tree.size))
        head = TreeHead(
            origin=origin,
            size=tree.size,
            root=tree.root(),
            signed_at=now or datetime.now(UTC),
            key_id=key.key_id,
        )
        statement = head.statement()
        values = (
            head.size,
            base.size,
            position,
            head.root.hex(),
            frontier.to_hex(),
            [p.hex() for p in tree.consistency_proof(base.size)],
            statement,
            key.key_id,
            key.sign(statement.encode()),
            head.signed_at,
        )
        # Every key that signs is published (endorsements come from publish_keys).
        await publish_keys(conn, [PublicKeyRecord(key.key_id, key.public_key.hex())])
        inserted = await conn.fetchval(_INSERT, *values)
        if inserted is None:
            return None
        stored = await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM checkpoints WHERE size = $1", inserted
        )
        assert stored is not None
        return Checkpoint.of(stored)


_VERIFY_BATCH = 5000


@dataclass(frozen=True)
class StoreVerification:
    ok: bool
    events: int
    streams: int
    witnessed_size: int
    checkpoints_matched: int
    divergence: Divergence | None
    # One sentence each, the most telling first.
    problems: list[str]


async def verify_store(
    pool: asyncpg.Pool,
    witness_record: dict[str, Any],
    witness_public_key: bytes,
    *,
    dsn: str | None = None,
    workers: int | None = None,
    parallel_after: int = PARALLEL_AFTER,
    chunk_leaves: int = CHUNK_LEAVES,
) -> StoreVerification:
    """Rebuild the tree and chains from the database and hold them against the witness.

    From ``parallel_after`` events on, and given the database's address ``dsn``, the
    events are checked in ``workers`` processes (default: one per CPU but one; 1 = all in this
    process), ``chunk_leaves`` consecutive leaves at a time: eventstore/verify_feed.py."""
    witnessed, problems = check_witness_record(witness_record, witness_public_key)
    verifier = LogVerifier(witnessed)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await feed_store(
            conn, verifier, batch=_VERIFY_BATCH, dsn=dsn, workers=workers,
            parallel_after=parallel_after, chunk_leaves=chunk_leaves,
        )  # fmt: skip
        stored = await all_checkpoints(conn)
    verifier.finish()
    found: list[str] = []
    if verifier.divergence is not None:
        found.append(
            "the store differs from the witnessed record at " + verifier.divergence.sentence()
        )
    found += verifier.chain_breaks
    found += problems
    found += _table_disagreements(stored, witnessed)
    if not witnessed:
        found.append("the witness has cosigned no checkpoint: nothing independent to compare")
    return StoreVerification(
        ok=not found,
        events=verifier.frontier.size,
        streams=verifier.streams,
        witnessed_size=witnessed[-1].head.size if witnessed else 0,
        checkpoints_matched=verifier.matched_checkpoints,
        divergence=verifier.divergence,
        problems=found,
    )


def _table_disagreements(
    stored: list[Checkpoint], witnessed: list[WitnessedCheckpoint]
) -> list[str]:
    """The database's copy of the checkpoints against the witness's (the witness wins)."""
    by_size = {c.size: c for c in stored}
    problems = []
    for checkpoint in witnessed:
        mine = by_size.get(checkpoint.head.size)
        if mine is None:
            problems.append(
                "the checkpoints table lacks the witnessed checkpoint of size "
                f"{checkpoint.head.size}"
            )
        elif mine.statement != checkpoint.head.statement():
            problems.append(
                f"the checkpoints table's checkpoint of size {mine.size} is not the one witnessed"
            )
    return problems
