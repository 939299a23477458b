"""Who may apply a projection: a PostgreSQL session advisory lock per projection name.

The lock lives as long as the connection that took it, so a projector that dies (process
killed, network gone) lets a standby take over as soon as the server notices, without a
lease timeout to tune. The holder also runs its batches on that very connection: a holder
whose connection is gone can no longer commit anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator

import asyncpg

from projections.conn import Conn


def lock_key(purpose: str, name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    digest = hashlib.blake2b(f"acip:{purpose}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def try_lock(conn: Conn, key: int) -> bool:
    return bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", key))


async def unlock(conn: Conn, key: int) -> None:
    # A broken connection has lost the lock anyway (and the pool's reset unlocks all). One
    # the server ended is detached from its pool proxy, whose is_closed() then raises.
    with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        if conn.is_closed():
            return
        await conn.execute("SELECT pg_advisory_unlock($1)", key)


@contextlib.asynccontextmanager
async def lease(pool: asyncpg.Pool, key: int, *, poll_interval: float) -> AsyncIterator[Conn]:
    """Wait until the lock is ours; yield the connection that holds it.

    A standby does not keep a pool connection while it waits: it tries, gives the
    connection back, and tries again after ``poll_interval`` seconds.
    """
    while True:
        conn = await pool.acquire()
        try:
            if await try_lock(conn, key):
                break
        except BaseException:
            await pool.release(conn)
            raise
        await pool.release(conn)
        await asyncio.sleep(poll_interval)
    try:
        yield conn
    finally:
        try:
            await unlock(conn, key)
        finally:
            # Even when cancelled during the unlock (a stop right after a failed batch): a
            # connection never given back makes the pool's close() wait forever.
            await pool.release(conn)
