"""``event_pool()``: an asyncpg pool the event store can use, closed when the block ends.

Every pool a test opens on a migrated database needs ``init_connection`` (the JSON codecs
the store relies on); written once here, a fixture that wants a database of its own is::

    @pytest.fixture
    async def pool(fresh_database_url: str) -> AsyncIterator[asyncpg.Pool]:
        async with event_pool(fresh_database_url, max_size=4) as pool:
            yield pool
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from eventstore import init_connection


@contextlib.asynccontextmanager
async def event_pool(url: str, *, max_size: int, min_size: int = 1) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, init=init_connection
    )
    assert pool is not None
    try:
        yield pool
    finally:
        await pool.close()
