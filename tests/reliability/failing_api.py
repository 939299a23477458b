"""A test-only API process: the real app, production logging, plus one route that fails.

``python -m tests.reliability.failing_api PORT`` with ACIP_DATABASE_URL and
ACIP_TEMPORAL_ADDRESS set. ``GET /test-only/fail`` raises deep in a call stack whose frames
hold large locals: what made rich's traceback rendering take seconds per error on the event
loop. Its own process, so a test measures the server and not its own client's work.
"""

from __future__ import annotations

import asyncio
import sys

import uvicorn

from api.app import create_app
from api.context import ApiContext
from eventstore import PostgresEventStore
from workers.db import create_pool
from workers.logs import configure_logging
from workers.settings import Settings
from workers.temporal import connect_client

SECRET = "ballast-that-must-never-reach-a-log"
STACK_DEPTH = 25
# Built once: the route's own work stays negligible, while every frame holds locals that a
# traceback renderer showing locals would walk and print.
BALLAST = [f"{SECRET}-{i}" * 4 for i in range(2000)]


def _fail_deep(depth: int) -> None:
    ballast = BALLAST
    if depth == 0:
        raise RuntimeError(f"deliberate failure under {len(ballast)} locals")
    _fail_deep(depth - 1)


async def fail_unexpectedly() -> None:
    _fail_deep(STACK_DEPTH)


async def serve(port: int) -> None:
    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    pool = await create_pool(settings.database_url)
    client = await connect_client(settings.temporal_address, tracing=False)
    context = ApiContext(
        pool=pool, store=PostgresEventStore(pool), temporal=client, task_queue="unused"
    )
    app = create_app(context)
    app.add_api_route("/test-only/fail", fail_unexpectedly, methods=["GET"])
    # As workers.processes.run_api configures it.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="off"
    )
    await uvicorn.Server(config).serve()
    await pool.close()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
