"""The e2e modules' fixtures: the served stack and a browser, one of each per module.

``site`` needs the ``dev_env`` fixture, which each module that uses it imports from
tests/integration/conftest.py (tests/e2e/ is not below it). A module overrides either by
defining its own, which may take this one by the same name (test_sign_in.py adds SMTP).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from playwright.async_api import Browser
from temporalio.testing import WorkflowEnvironment

from tests.e2e.browser import chromium
from tests.e2e.served_stack import Served, served


@pytest.fixture(scope="module")
async def site(
    dev_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Served]:
    async with served(dev_env.client, pool, tmp_path_factory.mktemp("home")) as site:
        yield site


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched
