"""Fault: a real PostgreSQL restart (`pg_ctl restart -m fast`, every session ended, the
postmaster stopped and started again) in the middle of a burst of commands sent through the
API by four clients, with a worker, a projector and an API process running.

Seen from outside: the API answers 503 with Retry-After while the database is away, never a
500, and recovers by itself; a client that retries a 503 with the same command_id has every
acknowledged command stored exactly once; the projector catches up by itself and its read
models equal a rebuild."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.users import add_user
from domain import KeyFactor, Role
from eventstore import PostgresEventStore, init_connection
from testkit.postgres import database_url_for
from tests.reliability.harness import (
    admin_pool,
    assert_read_models_equal_rebuild,
    assert_streams_intact,
    children,
    free_port,
    port_open,
    projector_caught_up,
    restartable_postgres,
)
from tests.support.api_stack import API_YEAR, plan_body
from tests.support.ids import unique_country
from tests.support.polling import eventually
from workers.db import migrate_all

pytestmark = pytest.mark.slow

CLIENTS = 4
KEEP_SENDING_AFTER_RESTART = 3.0  # seconds of commands once the server is back
RETRY_FOR = 90.0  # a client gives up on one command after this long


@dataclass
class Burst:
    """What the clients saw: every answer's status, and the commands acknowledged."""

    statuses: Counter[int] = field(default_factory=Counter)
    read_statuses: Counter[int] = field(default_factory=Counter)
    acknowledged: set[str] = field(default_factory=set)
    unavailable_without_retry_after: int = 0
    first_ack_after_restart: float | None = None
    restart_done_at: float | None = None
    longest_command: float = 0.0
    stop: asyncio.Event = field(default_factory=asyncio.Event)


async def send(http: httpx.AsyncClient, burst: Burst, path: str, body: dict[str, Any]) -> None:
    """One command until acknowledged: a 503 is retried after its Retry-After (capped for
    the test), with the same command_id, as a well-behaved client does."""
    command_id = str(uuid.uuid4())
    started = time.monotonic()
    while True:
        response = await http.post(path, json={**body, "command_id": command_id})
        burst.statuses[response.status_code] += 1
        if response.status_code in (200, 201):
            burst.acknowledged.add(command_id)
            now = time.monotonic()
            burst.longest_command = max(burst.longest_command, now - started)
            if burst.restart_done_at is not None and burst.first_ack_after_restart is None:
                burst.first_ack_after_restart = now - burst.restart_done_at
            return
        assert response.status_code == 503, (response.status_code, response.text)
        if "retry-after" not in response.headers:
            burst.unavailable_without_retry_after += 1
        assert time.monotonic() - started < RETRY_FOR, "the API did not recover"
        await asyncio.sleep(min(float(response.headers.get("retry-after", 1)), 0.5))


async def client_loop(base: str, token: str, burst: Burst) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as http:
        while not burst.stop.is_set():
            plan_id = f"{unique_country(year=API_YEAR)}-{API_YEAR}"
            await send(http, burst, "/plans", plan_body(plan_id[:3]))
            for factor in KeyFactor:
                if burst.stop.is_set():
                    return
                finding = {"type": "record_diagnostic_finding", "key_factor": factor.value,
                           "maturity": 3, "summary": f"{factor.value} assessed"}  # fmt: skip
                await send(http, burst, f"/plans/{plan_id}/commands", finding)


async def reader_loop(base: str, token: str, burst: Burst) -> None:
    """Reads all along: commands may spend the restart waiting on their workflow, a read
    meets the database at once, so the restart is seen through the API for sure."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as http:
        while not burst.stop.is_set():
            response = await http.get("/plans")
            burst.read_statuses[response.status_code] += 1
            if response.status_code == 503 and "retry-after" not in response.headers:
                burst.unavailable_without_retry_after += 1
            await asyncio.sleep(0.05)


async def test_a_postgres_restart_during_a_burst_of_commands(
    dev_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    address = dev_env.client.service_client.config.target_host
    with restartable_postgres("acip-restart-pg-") as postgres:
        admin_conn = await asyncpg.connect(postgres.url)
        await admin_conn.execute("CREATE DATABASE acip")
        await admin_conn.close()
        url = database_url_for(postgres.url, "acip")
        await migrate_all(url)
        setup = await asyncpg.create_pool(url, min_size=1, max_size=2)
        assert setup is not None
        token = await add_user(
            setup, PostgresEventStore(setup), "wco.pm", Role.PROGRAMME_MANAGER, None, None
        )
        await setup.close()

        burst = Burst()
        with children(tmp_path) as kids:
            port = free_port()
            kids.worker(url, address, task_queue)
            projector = kids.projector(url)
            api = kids.api(url, address, port, ACIP_TASK_QUEUE=task_queue)
            await eventually(partial(port_open, port), within=60, what="the API")
            base = f"http://127.0.0.1:{port}"
            clients = [asyncio.create_task(client_loop(base, token, burst)) for _ in range(CLIENTS)]
            clients.append(asyncio.create_task(reader_loop(base, token, burst)))

            await eventually(
                lambda: _acknowledged(burst, 12), within=120, what="the burst to get going"
            )
            before = len(burst.acknowledged)
            took = await asyncio.to_thread(postgres.restart)
            burst.restart_done_at = time.monotonic()
            await asyncio.sleep(KEEP_SENDING_AFTER_RESTART)
            burst.stop.set()
            await asyncio.wait_for(asyncio.gather(*clients), timeout=RETRY_FOR + 30)
            assert api.alive(), api.log()

            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                health = await http.get("/healthz")
            assert health.status_code == 200, health.text

            async with admin_pool(url) as admin:
                waiting_since = time.monotonic()
                await eventually(
                    lambda: projector_caught_up(admin), within=120, what="the projector"
                )
                caught_up_after = time.monotonic() - waiting_since
                assert projector.alive(), projector.log()
                projector.terminate()
                # The restart reached the projector too (its lease and LISTEN connection
                # ended) and it came back by itself.
                projector_retries = projector.log().count("projector batch failed; retrying")
                stored = await admin.fetch(
                    "SELECT metadata->>'command_id' AS command_id, count(*) AS events"
                    " FROM events WHERE stream_id LIKE 'plan-%' GROUP BY 1"
                )
                rows = await assert_read_models_equal_rebuild(admin)
            store_pool = await asyncpg.create_pool(
                url, min_size=1, max_size=2, init=init_connection
            )
            assert store_pool is not None
            try:
                checked = await assert_streams_intact(PostgresEventStore(store_pool))
            finally:
                await store_pool.close()

    per_command = {row["command_id"]: row["events"] for row in stored}
    # Each command here appends one event: acknowledged means stored, once, and nothing else.
    assert set(per_command) == burst.acknowledged
    assert set(per_command.values()) == {1}
    assert burst.statuses[500] == 0 and set(burst.statuses) <= {200, 201, 503}, burst.statuses
    assert set(burst.read_statuses) <= {200, 503}, burst.read_statuses
    assert burst.read_statuses[503] > 0, "no request met the restart"
    assert burst.unavailable_without_retry_after == 0
    print(
        f"pg_ctl restart -m fast took {took:.2f} s; {len(burst.acknowledged)} commands "
        f"acknowledged ({before} before the restart), each stored once; answers to "
        f"commands {dict(burst.statuses)}, to reads {dict(burst.read_statuses)}; first "
        f"acknowledgement {burst.first_ack_after_restart:.2f} s after the restart; longest "
        f"command {burst.longest_command:.1f} s; projector caught up {caught_up_after:.1f} s "
        f"after the burst; {rows} read-model rows equal a rebuild; {checked} events chained; "
        f"the projector retried {projector_retries} time(s)"
    )


async def _acknowledged(burst: Burst, count: int) -> bool:
    return len(burst.acknowledged) >= count
