"""`acip up`: the whole stack in one terminal on embedded defaults."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from pathlib import Path

from eventstore import PostgresEventStore
from workers.db import create_pool, migrate_all
from workers.demo import ensure_demo_users
from workers.embedded import (
    StackError,
    embedded_postgres,
    require_free_port,
    temporal_dev_server,
    wait_for_port,
)
from workers.settings import (
    STACK_FILE,
    RunningStack,
    Settings,
    read_running_stack,
    write_running_stack,
)
from workers.supervisor import (
    ChildCrashLoopError,
    ChildSpec,
    RestartPolicy,
    StarterWatch,
    Supervisor,
    die_with_parent,
)

# The long-running children, supervised and restarted; one line each. The witness first,
# so the checkpointer's first checkpoint finds it.
CHILDREN: tuple[ChildSpec, ...] = (
    ChildSpec("witness", ("witness",)),
    ChildSpec("worker", ("worker",)),
    ChildSpec("projector", ("projector",)),
    ChildSpec("checkpointer", ("checkpointer",)),
    ChildSpec("api", ("api",)),
)
# Exit status when a child kept crashing (a signal-free stop is 0, a start-up error 1).
EXIT_CHILD_FAILED = 3


def _say(message: str) -> None:
    print(message, flush=True)


async def _prepare_database(database_url: str, demo: bool, home: Path) -> None:
    await migrate_all(database_url)
    if demo:
        pool = await create_pool(database_url, max_size=2)
        try:
            await ensure_demo_users(pool, PostgresEventStore(pool), home / "demo-users.json")
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


def _watch_for_stop(stop: threading.Event) -> None:
    """SIGINT or SIGTERM, or the death of whoever started us (`make up`, a terminal, a
    test), ends the stack: no orphaned stack is left running after its starter is gone."""

    def _on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    die_with_parent()


def run_stack(settings: Settings, demo: bool) -> int:
    home = settings.resolved_home
    home.mkdir(parents=True, exist_ok=True)
    already = read_running_stack(home)
    if already is not None:
        raise StackError(f"acip up already runs for {home} (pid {already.pid}, {already.api_url})")
    require_free_port(settings.api_host, settings.api_port, "ACIP_API_PORT")
    require_free_port(settings.witness_host, settings.witness_port, "ACIP_WITNESS_PORT")
    stop = threading.Event()
    starter = StarterWatch()
    _watch_for_stop(stop)

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
        api_url = f"http://{settings.api_host}:{settings.api_port}"
        witness_url = settings.witness_url or (
            f"http://{settings.witness_host}:{settings.witness_port}"
        )
        running = RunningStack(
            pid=os.getpid(),
            database_url=database_url,
            temporal_address=temporal_address,
            api_url=api_url,
            witness_url=witness_url,
        )
        stack_file = write_running_stack(home, running)
        stack.callback(stack_file.unlink, missing_ok=True)

        env = dict(os.environ)
        env.update(
            ACIP_DATABASE_URL=database_url,
            ACIP_TEMPORAL_ADDRESS=temporal_address,
            ACIP_HOME=str(home),
            ACIP_WITNESS_URL=witness_url,
        )
        if demo:
            env["ACIP_DEMO"] = "true"  # the API waives the second factor and says so
        policy = RestartPolicy(max_crashes=settings.up_max_crashes, window=settings.up_crash_window)
        supervisor = Supervisor(CHILDREN, env, _say, policy)
        supervisor.start()
        stack.callback(supervisor.stop)
        exit_status = _supervise_until_api_listens(supervisor, settings, stop)
        if exit_status is None:
            if demo:
                # After the worker is up: the demo plans are driven through their workflows.
                asyncio.run(_seed_demo_plans(database_url, temporal_address, settings))
            _print_banner(settings, api_url, database_url, home, demo)
            exit_status = _supervise(supervisor, stop, starter)
        _say("stopping acip ...")
    _say("stopped.")
    return exit_status


def _supervise_until_api_listens(
    supervisor: Supervisor, settings: Settings, stop: threading.Event
) -> int | None:
    """None once the API listens; an exit status if the stack failed or was stopped first."""
    for _attempt in range(120):  # 60 s
        try:
            wait_for_port(settings.api_host, settings.api_port, 0.5, "the API")
            return None
        except StackError:
            pass
        try:
            supervisor.check()
        except ChildCrashLoopError as failure:
            _say(f"acip up: {failure}; stopping the stack")
            return EXIT_CHILD_FAILED
        if stop.is_set():
            return 0
    raise StackError(f"the API did not start listening on {settings.api_host}:{settings.api_port}")


def _supervise(supervisor: Supervisor, stop: threading.Event, starter: StarterWatch) -> int:
    while not stop.wait(0.5):
        gone = starter.gone()
        if gone is not None:
            _say(f"{gone}; stopping the stack")
            return 0
        try:
            supervisor.check()
        except ChildCrashLoopError as failure:
            _say(f"acip up: {failure}; stopping the stack")
            return EXIT_CHILD_FAILED
    return 0


def _print_banner(
    settings: Settings, api_url: str, database_url: str, home: Path, demo: bool
) -> None:
    _say("")
    _say(f"acip is up.  API and dashboard: {api_url}   (OpenAPI: {api_url}/docs)")
    if not settings.temporal_address:
        _say(f"Temporal Web UI: http://127.0.0.1:{settings.temporal_ui_port}")
    _say(f"PostgreSQL: {database_url}")
    if demo:
        _say(f"Demo users and their tokens: {home / 'demo-users.json'}")
    _say(f"Commands in another terminal find this stack through {home / STACK_FILE}.")
    _say("Press Ctrl-C to stop.")


def up(settings: Settings, demo: bool) -> int:
    try:
        return run_stack(settings, demo)
    except StackError as error:
        print(f"acip up: {error}", file=sys.stderr)
        return 1
