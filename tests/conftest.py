"""Shared fixtures: one embedded PostgreSQL per session, a migrated database per module.

- ``postgres_server_url``: the server (embedded, or ``ACIP_TEST_DATABASE_URL``).
- ``database_url`` (module): a fresh database, fully migrated, cloned from a template
  migrated once per session; ``fresh_database_url`` (function) is the same per test.
- ``pool`` (module): an asyncpg pool on ``database_url`` with ``init_connection``.
- ``store`` (function): a PostgresEventStore on ``pool``.

The session ends with ``os._exit(status)`` after everything is torn down and the summary
printed: temporalio's native runtime can abort the interpreter at exit (exit 134), which
would otherwise replace the real status. Set ACIP_PYTEST_NO_HARD_EXIT=1 to skip that
(e.g. when calling pytest.main() from another program).
"""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from eventstore import PostgresEventStore
from testkit.postgres import database_url_for, temporary_postgres
from tests.support import hypothesis_profiles
from tests.support.pools import event_pool
from workers.db import migrate_all

# Derandomized unless HYPOTHESIS_PROFILE=explore (`make explore`): see hypothesis_profiles.
hypothesis_profiles.load()

_EXIT_STATUS = pytest.StashKey[int]()
_timings: dict[str, float] = {}


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    external = os.environ.get("ACIP_TEST_DATABASE_URL")
    if external:
        yield external
        return
    started = time.perf_counter()
    with temporary_postgres("acip-test-pg-") as url:
        _timings["embedded PostgreSQL start"] = time.perf_counter() - started
        yield url


async def _admin(server_url: str, statement: str) -> None:
    """Run one statement (CREATE or DROP DATABASE) on the server's maintenance database."""
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def migrated_template(postgres_server_url: str) -> AsyncIterator[str]:
    """Name of a database migrated once per session; per-module databases clone it."""
    name = f"acip_template_{uuid.uuid4().hex}"
    await _admin(postgres_server_url, f'CREATE DATABASE "{name}"')
    started = time.perf_counter()
    await migrate_all(database_url_for(postgres_server_url, name))
    _timings["template migration"] = time.perf_counter() - started
    yield name
    await _drop(postgres_server_url, name)


async def _clone(server_url: str, template: str) -> str:
    name = f"acip_test_{uuid.uuid4().hex}"
    await _admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


async def _drop(server_url: str, name: str) -> None:
    # FORCE: a test that leaked a connection must not fail the teardown.
    await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
async def database_url(postgres_server_url: str, migrated_template: str) -> AsyncIterator[str]:
    name = await _clone(postgres_server_url, migrated_template)
    yield database_url_for(postgres_server_url, name)
    await _drop(postgres_server_url, name)


@pytest.fixture
async def fresh_database_url(
    postgres_server_url: str, migrated_template: str
) -> AsyncIterator[str]:
    name = await _clone(postgres_server_url, migrated_template)
    yield database_url_for(postgres_server_url, name)
    await _drop(postgres_server_url, name)


@pytest.fixture(scope="module")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with event_pool(database_url, max_size=12) as created:
        yield created


@pytest.fixture
def store(pool: asyncpg.Pool) -> PostgresEventStore:
    return PostgresEventStore(pool)


def _interrupt_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    # `timeout`, CI cancellation and process managers stop pytest with SIGTERM, which by
    # default kills it before fixtures are torn down, leaving the embedded PostgreSQL
    # running. As an interrupt, pytest tears down (server stopped) and reports.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt_on_sigterm)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for label, seconds in _timings.items():
        terminalreporter.write_line(f"{label}: {seconds:.2f} s")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    # Runs after fixtures are torn down (embedded PostgreSQL stopped) and after the
    # terminal summary. Skipping the interpreter's own shutdown avoids the native
    # runtime abort that would turn a green run into exit 134.
    status = config.stash.get(_EXIT_STATUS, None)
    if status is None or os.environ.get("ACIP_PYTEST_NO_HARD_EXIT"):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
