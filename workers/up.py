"""`acip up`: the whole stack in one terminal on embedded defaults."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from workers.db import create_pool, migrate_all
from workers.demo import ensure_demo_users
from workers.embedded import (
    StackError,
    embedded_postgres,
    require_free_port,
    stop_process,
    temporal_dev_server,
    wait_for_port,
)
from workers.settings import STACK_FILE, Settings

# The witness first, so the checkpointer's first checkpoint finds it.
CHILDREN = ("witness", "worker", "projector", "checkpointer", "api")


def _say(message: str) -> None:
    print(message, flush=True)


async def _prepare_database(database_url: str, demo: bool, home: Path) -> None:
    await migrate_all(database_url)
    if demo:
        pool = await create_pool(database_url, max_size=2)
        try:
            await ensure_demo_users(pool, home / "demo-users.json")
        finally:
            await pool.close()


async def _seed_demo_plans(database_url: str, temporal_address: str, settings: Settings) -> None:
    from workers.demo_plans import seed_demo_plans
    from workers.temporal import connect_client

    pool = await create_pool(database_url, max_size=2)
    try:
        client = await connect_client(temporal_address, settings.temporal_namespace, tracing=False)
        created = await seed_demo_plans(client, settings.task_queue, pool)
        if created:
            _say(f"demo plans created: {', '.join(created)}")
    except Exception as error:  # the stack is still useful without them
        _say(f"demo plans not created: {error.__class__.__name__}: {error}")
    finally:
        await pool.close()


def _spawn(name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "workers.cli", name],
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
    )


def run_stack(settings: Settings, demo: bool) -> int:
    home = settings.resolved_home
    home.mkdir(parents=True, exist_ok=True)
    require_free_port(settings.api_host, settings.api_port, "ACIP_API_PORT")
    require_free_port(settings.witness_host, settings.witness_port, "ACIP_WITNESS_PORT")
    stop = threading.Event()

    def _on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)

    with contextlib.ExitStack() as stack:
        database_url = settings.database_url
        if not database_url:
            _say(f"starting embedded PostgreSQL in {home / 'pgdata'}")
            database_url = stack.enter_context(embedded_postgres(home))
        temporal_address = settings.temporal_address
        if not temporal_address:
            _say("starting Temporal's dev server")
            temporal_address = stack.enter_context(
                temporal_dev_server(
                    home, "127.0.0.1", settings.temporal_port, settings.temporal_ui_port
                )
            )
        asyncio.run(_prepare_database(database_url, demo, home))
        stack_file = home / STACK_FILE
        witness_url = settings.witness_url or (
            f"http://{settings.witness_host}:{settings.witness_port}"
        )
        stack_file.write_text(
            json.dumps(
                {
                    "database_url": database_url,
                    "temporal_address": temporal_address,
                    "witness_url": witness_url,
                }
            )
        )
        stack.callback(stack_file.unlink, missing_ok=True)

        env = dict(os.environ)
        env.update(
            ACIP_DATABASE_URL=database_url,
            ACIP_TEMPORAL_ADDRESS=temporal_address,
            ACIP_HOME=str(home),
            ACIP_WITNESS_URL=witness_url,
        )
        children = {name: _spawn(name, env) for name in CHILDREN}
        for name, child in children.items():
            stack.callback(stop_process, child, name)
        wait_for_port(settings.api_host, settings.api_port, 60, "the API")
        if demo:
            # After the worker is up: the demo plans are driven through their workflows.
            asyncio.run(_seed_demo_plans(database_url, temporal_address, settings))

        api_url = f"http://{settings.api_host}:{settings.api_port}"
        _say("")
        _say(f"acip is up.  API and dashboard: {api_url}   (OpenAPI: {api_url}/docs)")
        if not settings.temporal_address:
            _say(f"Temporal Web UI: http://127.0.0.1:{settings.temporal_ui_port}")
        _say(f"PostgreSQL: {database_url}")
        if demo:
            _say(f"Demo users and their tokens: {home / 'demo-users.json'}")
        _say("Press Ctrl-C to stop.")

        exit_status = 0
        while not stop.wait(0.5):
            failed = [name for name, child in children.items() if child.poll() is not None]
            if failed:
                _say(f"{', '.join(failed)} stopped unexpectedly; stopping the stack")
                exit_status = 1
                break
        _say("stopping acip ...")
    _say("stopped.")
    return exit_status


def up(settings: Settings, demo: bool) -> int:
    try:
        return run_stack(settings, demo)
    except StackError as error:
        print(f"acip up: {error}", file=sys.stderr)
        return 1
