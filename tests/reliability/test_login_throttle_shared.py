"""Failed-login throttling is shared by API processes: two `acip api` processes on one
database, a guesser alternating between them from one address, is blocked after
DEFAULT_MAX_FAILURES failures in all (not per process), by both, with Retry-After."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from api.ratelimit import DEFAULT_MAX_FAILURES, DEFAULT_WINDOW_SECONDS
from api.users import add_user
from domain import Role
from eventstore import PostgresEventStore
from tests.reliability.harness import children, free_port, port_open
from tests.support.polling import eventually


async def test_two_api_processes_share_the_failed_login_limit(
    dev_env: WorkflowEnvironment, fresh_database_url: str, tmp_path: Path
) -> None:
    address = dev_env.client.service_client.config.target_host
    conn = await asyncpg.connect(fresh_database_url)
    try:
        pool = await asyncpg.create_pool(fresh_database_url, min_size=1, max_size=2)
        assert pool is not None
        try:
            good = await add_user(
                pool, PostgresEventStore(pool), "wco.pm", Role.PROGRAMME_MANAGER, None, None
            )
        finally:
            await pool.close()
        with children(tmp_path) as kids:
            ports = [free_port()]
            while len(ports) < 2:  # two probes in a row may be handed the same free port
                port = free_port()
                if port not in ports:
                    ports.append(port)
            apis = [kids.api(fresh_database_url, address, port) for port in ports]
            for port, api in zip(ports, apis, strict=True):
                await eventually(partial(port_open, port), within=60, what=f"the API on {port}")
                assert api.alive(), api.log()
            first, second = (
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) for port in ports
            )
            async with first, second:
                statuses = []
                for attempt in range(DEFAULT_MAX_FAILURES):
                    api_client = (first, second)[attempt % 2]
                    guess = {"Authorization": f"Bearer acip_guess{attempt}"}
                    statuses.append((await api_client.get("/plans", headers=guess)).status_code)
                assert statuses == [401] * DEFAULT_MAX_FAILURES  # half on each process
                right = {"Authorization": f"Bearer {good}"}
                for api_client in (first, second):
                    blocked = await api_client.get("/plans", headers=right)
                    assert blocked.status_code == 429, blocked.text
                    assert blocked.json()["error"] == "too_many_requests"
                    assert 1 <= int(blocked.headers["retry-after"]) <= DEFAULT_WINDOW_SECONDS
            rows = await conn.fetchval("SELECT count(*) FROM login_failures")
            # One row per failure and key (address, token prefix), nothing for the refusals.
            assert rows == 2 * DEFAULT_MAX_FAILURES
    finally:
        await conn.close()
