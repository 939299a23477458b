"""The app served by a real uvicorn on a free loopback port, with a worker, a live projector,
the demo users and the demo plans: what a browser or the CLI talks to in the e2e tests."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import uvicorn
from temporalio.client import Client

from tests.support.api_stack import Stack, running_stack
from tests.support.polling import eventually
from workers.demo import ensure_demo_users
from workers.demo_plans import seed_demo_plans


@dataclass
class Served:
    url: str
    stack: Stack
    tokens: dict[str, str]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def served(client: Client, pool: asyncpg.Pool, home: Path) -> AsyncIterator[Served]:
    async with running_stack(client, pool) as stack:
        users = await ensure_demo_users(pool, stack.store, home / "demo-users.json")
        tokens = {str(u["name"]): str(u["token"]) for u in users}
        stack.tokens.update(tokens)
        await seed_demo_plans(client, stack.task_queue, pool)
        port = free_port()
        config = uvicorn.Config(
            stack.app, host="127.0.0.1", port=port, log_config=None, access_log=False
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())

        async def started() -> bool:  # uvicorn has no "started" event to await
            return bool(server.started)

        await eventually(started, within=10, interval=0.02, what="uvicorn to start")
        await stack.settle()
        try:
            yield Served(f"http://127.0.0.1:{port}", stack, tokens)
        finally:
            server.should_exit = True
            await task
