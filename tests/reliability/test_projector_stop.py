"""A projector told to stop (SIGTERM cancels its task) while it gives its lease back after a
failed batch must still return the lease's connection to the pool; otherwise the process's
final pool.close() waits for that connection forever and the process never exits.

Found by test_connection_drops (a projector process that ignored SIGTERM after connection
drops); made exact here: the server process behind the lease's connection is paused
(SIGSTOP) so the lease's unlock is provably in flight when the cancellation arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from typing import Any

import asyncpg
import pytest

from projections.lease import lease, lock_key
from tests.support.polling import eventually


def is_local_postgres(pid: int) -> bool:
    """Only ever pause a PostgreSQL backend of this machine (never a process that merely
    shares the pid of a remote server's backend)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return b"postgres" in cmdline.read()
    except OSError:
        return False


def awaiting(generator: Any) -> list[str]:
    """Names of the coroutines an async generator is suspended in, outermost first."""
    names: list[str] = []
    current = getattr(generator, "ag_await", None)
    while current is not None:
        code = getattr(current, "cr_code", None)
        if code is not None:
            names.append(code.co_name)
        current = getattr(current, "cr_await", None)
    return names


async def test_a_projector_stopped_while_releasing_its_lease_returns_the_connection(
    fresh_database_url: str,
) -> None:
    pool = await asyncpg.create_pool(fresh_database_url, min_size=1, max_size=2)
    assert pool is not None
    backend: list[int] = []
    entered, fail = asyncio.Event(), asyncio.Event()
    held = lease(pool, lock_key("projection", "stop-test"), poll_interval=0.1)

    async def a_batch_that_fails() -> None:
        async with held as conn:
            backend.append(int(await conn.fetchval("SELECT pg_backend_pid()")))
            entered.set()
            await fail.wait()
            raise RuntimeError("the batch failed")

    task = asyncio.create_task(a_batch_that_fails())
    await asyncio.wait_for(entered.wait(), timeout=30)
    if not is_local_postgres(backend[0]):
        task.cancel()
        await pool.close()
        pytest.skip("the database server is not a process of this machine the test may pause")
    os.kill(backend[0], signal.SIGSTOP)
    try:
        fail.set()
        await eventually(
            lambda: asyncio.sleep(0, "unlock" in awaiting(held.gen)),
            within=30,
            what="the lease's unlock",
        )
        task.cancel()  # SIGTERM: run_projector cancels the projector's task
    finally:
        os.kill(backend[0], signal.SIGCONT)
    with contextlib.suppress(asyncio.CancelledError, RuntimeError):
        await asyncio.wait_for(task, timeout=30)
    # The process's last step: with the connection back in the pool, close() returns.
    await asyncio.wait_for(pool.close(), timeout=20)
