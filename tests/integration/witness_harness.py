"""Shared pieces for the checkpoint and witness tests: a store with a pool of its own, a
witness served in-process over HTTP (ASGI), and an insider with superuser rights."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from eventstore import ANY, NewEvent, PostgresEventStore
from eventstore.checkpoints import Checkpoint, make_checkpoint, verify_store
from eventstore.hashing import compute_hash
from eventstore.keys import load_or_create
from witness.app import create_app
from witness.service import Witness
from workers.checkpointer import witness_pending
from workers.db import create_pool

ORIGIN = "acip-test"


def event(n: int) -> NewEvent:
    return NewEvent(
        event_id=uuid.uuid4(),
        type="thing_happened",
        data={"n": n},
        metadata={"actor": "u-1"},
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


@dataclass
class Rig:
    pool: asyncpg.Pool
    store: PostgresEventStore
    key_file: Path
    witness: Witness
    client: httpx.AsyncClient
    database_url: str

    async def append(self, stream_id: str, count: int = 1) -> None:
        await self.store.append(stream_id, ANY, [event(i) for i in range(count)])

    async def checkpoint(self) -> Checkpoint | None:
        return await make_checkpoint(self.pool, load_or_create(self.key_file), origin=ORIGIN)

    async def witness_all(self) -> int:
        return await witness_pending(self.pool, self.client, self.key_file)

    async def append_and_witness(self, stream_id: str, count: int = 1) -> None:
        """One event at a time, each checkpointed and cosigned: the witness sees every leaf."""
        for _ in range(count):
            await self.append(stream_id)
            await self.checkpoint()
            await self.witness_all()

    async def verify(self, *, in_workers: bool = False) -> Any:
        """``verify_store``; ``in_workers``: checked by two worker processes reading their
        own chunks, as for a large store (eventstore/verify_feed.py), chunks of 4 leaves so
        that links and subtrees are stitched across chunks even in a small store."""
        record = (await self.client.get("/checkpoints")).json()
        if in_workers:
            return await verify_store(
                self.pool, record, self.witness.public_key, dsn=self.database_url,
                workers=2, parallel_after=0, chunk_leaves=4,
            )  # fmt: skip
        return await verify_store(self.pool, record, self.witness.public_key, workers=1)


@contextlib.asynccontextmanager
async def rig(database_url: str, home: Path) -> AsyncIterator[Rig]:
    pool = await create_pool(database_url, max_size=4)
    witness = Witness(home / "witness")
    transport = httpx.ASGITransport(app=create_app(witness))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://witness") as client:
            yield Rig(
                pool, PostgresEventStore(pool), home / "keys" / "cp.pem", witness, client,
                database_url,
            )  # fmt: skip
    finally:
        witness.close()
        await pool.close()


@contextlib.asynccontextmanager
async def insider(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A superuser session whose writes skip every trigger: the append-only guard is off."""
    conn = await asyncpg.connect(database_url)
    await conn.set_type_codec("jsonb", encoder=_dumps, decoder=_loads, schema="pg_catalog")
    try:
        await conn.execute("SET session_replication_role = replica")
        yield conn
    finally:
        await conn.close()


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value)


def _loads(text: str) -> Any:
    import json

    return json.loads(text)


async def rewrite_stream_from(conn: asyncpg.Connection, stream_id: str, version: int) -> None:
    """Change the data of one event and recompute the chain after it, as an insider can."""
    await conn.execute(
        "UPDATE events SET data = '{\"n\": 999}'::jsonb WHERE stream_id = $1 AND version = $2",
        stream_id,
        version,
    )
    rows = await conn.fetch("SELECT * FROM events WHERE stream_id = $1 ORDER BY version", stream_id)
    prev = rows[0]["prev_hash"]
    for row in rows:
        fields = dict(row)
        fields["prev_hash"] = prev
        new_hash = compute_hash(prev, fields)
        await conn.execute(
            "UPDATE events SET prev_hash = $2, hash = $3 WHERE event_id = $1",
            row["event_id"],
            prev,
            new_hash,
        )
        prev = new_hash
