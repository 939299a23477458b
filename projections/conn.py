"""The connection type our functions accept: a bare connection or one lent by a pool."""

from __future__ import annotations

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Conn: TypeAlias = asyncpg.Connection | PoolConnectionProxy
# Queries accept a pool too: each then runs on a connection the pool lends for the call.
Executor: TypeAlias = asyncpg.Connection | PoolConnectionProxy | asyncpg.Pool
