"""Helpers for tests that run `acip up` (or `make up`) as a process and look at its
children through /proc: free ports, waiting, and finding every process of one ACIP_HOME."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.polling import eventually_blocking


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(predicate: Callable[[], object], timeout: float, what: str) -> float:
    """Seconds it took for ``predicate`` to hold (the figures these tests report); fails like
    ``eventually_blocking``, naming ``what`` and the last value seen."""
    started = time.monotonic()
    eventually_blocking(predicate, what=what, within=timeout)
    return time.monotonic() - started


def clean_env(home: Path, **settings: str) -> dict[str, str]:
    """This environment without any ACIP_ setting of the developer's, plus ``settings``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACIP_")}
    env.update(ACIP_HOME=str(home), ACIP_LOG_LEVEL="warning")
    env.update(settings)
    return env


def processes_of_home(home: Path) -> dict[int, str]:
    """pid -> command line of every live process whose environment has ACIP_HOME=home."""
    marker = f"ACIP_HOME={home}".encode()
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            if marker not in environ:
                continue
            if (entry / "stat").read_text().split(") ", 1)[1].startswith("Z"):
                continue  # a zombie is already dead, only not yet reaped
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue  # gone meanwhile, or not ours to read
        found[int(entry.name)] = command.strip()
    return found


def child_pid(home: Path, subcommand: str) -> int | None:
    """The pid of the `acip <subcommand>` child of the stack under ``home``."""
    for pid, command in processes_of_home(home).items():
        if command.endswith(f"workers.cli {subcommand}"):
            return pid
    return None
