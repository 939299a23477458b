"""The checkpointer: signs a checkpoint of the Merkle log while events arrive, and has each
one cosigned by the witness, in order.

Like the projector it holds an advisory-lock lease (projections.lease), so one instance
works and standbys wait. Its position is the latest checkpoint row itself (size, last
position, frontier), written in the same statement as its output, so a crash at any point
resumes without a gap or a double (eventstore.checkpoints). Checkpoints the witness has not
cosigned (it is down, or refused) stay queued in the table and are submitted oldest first;
a refusal is logged loudly and retried, it never skips a checkpoint.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import asyncpg
import httpx
import structlog

from eventstore.checkpoints import (
    Checkpoint,
    make_checkpoint,
    publish_keys,
    record_cosignature,
    unwitnessed,
)
from eventstore.keys import load_or_create, public_records
from projections.lease import lease, lock_key

log = structlog.get_logger(__name__)


class WitnessRefusedError(Exception):
    pass


async def submit(client: httpx.AsyncClient, checkpoint: Checkpoint, key_file: Path) -> dict:
    """Send one checkpoint with its consistency proof; the witness's answer."""
    payload = {
        "statement": checkpoint.statement,
        "signature": checkpoint.signature,
        "previous_size": checkpoint.prev_size,
        "consistency_proof": checkpoint.consistency_proof,
        "frontier": checkpoint.frontier,
        "operator_keys": [record.__dict__ for record in public_records(key_file)],
    }
    response = await client.post("/checkpoints", json=payload)
    if response.status_code == 409:
        raise WitnessRefusedError(response.json().get("refused", response.text))
    response.raise_for_status()
    answer: dict = response.json()
    return answer


async def witness_pending(pool: asyncpg.Pool, client: httpx.AsyncClient, key_file: Path) -> int:
    """Submit every unwitnessed checkpoint, oldest first; stops at the first failure.
    Returns how many were cosigned now."""
    done = 0
    for checkpoint in await unwitnessed(pool):
        answer = await submit(client, checkpoint, key_file)
        await record_cosignature(
            pool,
            checkpoint.size,
            answer["witness_key_id"],
            answer["cosignature"],
            datetime.fromisoformat(answer["witnessed_at"]),
        )
        done += 1
        log.info("checkpoint witnessed", size=checkpoint.size)
    return done


class Checkpointer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        key_file: Path,
        *,
        origin: str,
        witness: httpx.AsyncClient | None,
        interval: float = 30.0,
        standby_poll_interval: float = 1.0,
    ) -> None:
        self._pool = pool
        self._key_file = key_file
        self._origin = origin
        self._witness = witness
        self._interval = interval
        self._standby_poll_interval = standby_poll_interval
        self.checkpoints_made = 0

    async def once(self) -> Checkpoint | None:
        """One round: a checkpoint if events arrived since the last, then the witness."""
        key = load_or_create(self._key_file)
        await publish_keys(self._pool, public_records(self._key_file))
        made = await make_checkpoint(self._pool, key, origin=self._origin)
        if made is not None:
            self.checkpoints_made += 1
            log.info("checkpoint signed", size=made.size, root=made.root_hash)
        if self._witness is not None:
            try:
                await witness_pending(self._pool, self._witness, self._key_file)
            except WitnessRefusedError as refused:
                log.error("the witness REFUSED a checkpoint", reason=str(refused))
            except httpx.HTTPError as error:
                log.warning("witness unreachable; checkpoints stay queued", error=str(error))
        return made

    async def run(self) -> None:
        """Forever (cancel to stop): a round every ``interval`` seconds under the lease."""
        key = lock_key("checkpointer", self._origin)
        while True:
            try:
                async with lease(self._pool, key, poll_interval=self._standby_poll_interval):
                    log.info("checkpointer is active", origin=self._origin)
                    while True:
                        await self.once()
                        await asyncio.sleep(self._interval)
            except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError) as error:
                log.error("checkpointer round failed; retrying", error=str(error))
                await asyncio.sleep(min(self._interval, 5.0))
