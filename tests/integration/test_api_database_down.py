"""PostgreSQL out of reach is a 503 the client may retry, not a 500."""

from __future__ import annotations

import httpx
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import ApiContext
from eventstore import PostgresEventStore
from workers.db import create_pool


async def test_reads_while_the_database_is_unreachable_answer_503(
    database_url: str, dev_env: WorkflowEnvironment
) -> None:
    pool = await create_pool(database_url, max_size=1)
    await pool.close()  # every query now fails as if the server were gone
    context = ApiContext(
        pool=pool, store=PostgresEventStore(pool), temporal=dev_env.client, task_queue="unused"
    )
    app = create_app(context)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://acip.test") as client:
        response = await client.get("/plans", headers={"Authorization": "Bearer acip_x"})
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "unavailable"
    assert response.headers["retry-after"] == "5"
