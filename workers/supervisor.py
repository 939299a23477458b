"""The children of `acip up`, kept running: a child that dies is restarted with exponential
backoff; one that keeps crashing stops the whole stack, loudly, with the reason.

Each child runs in its own process group (so Ctrl-C in the terminal reaches only `acip up`,
which stops the children in order) and is told by the kernel to stop when `acip up` dies
(``PR_SET_PDEATHSIG`` on Linux), so even a `kill -9` of `acip up` leaves no orphan behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


@dataclass(frozen=True)
class ChildSpec:
    """One long-running child: its name in logs and the `acip` sub-command that runs it."""

    name: str
    command: tuple[str, ...]

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "workers.cli", *self.command]


@dataclass(frozen=True)
class RestartPolicy:
    """Backoff doubles from ``first_delay`` up to ``max_delay``; ``max_crashes`` deaths of
    one child within ``window`` seconds mean it will not get better by itself."""

    max_crashes: int = 5
    window: float = 60.0
    first_delay: float = 0.5
    max_delay: float = 15.0

    def delay(self, recent_crashes: int) -> float:
        return min(self.first_delay * 2 ** max(recent_crashes - 1, 0), self.max_delay)


class ChildCrashLoopError(RuntimeError):
    """A child crashed too often; the message names it, its exit status and how often."""


def exit_status_text(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def _load_libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_LIBC = _load_libc()


def die_with_parent() -> None:
    """In a child between fork and exec (or in `acip up` itself): SIGTERM when the parent
    dies. Linux only; elsewhere the parent-gone check of the supervisor loop remains."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


@dataclass
class _Child:
    spec: ChildSpec
    process: subprocess.Popen[bytes] | None = None
    restart_at: float | None = None
    crashes: deque[float] = field(default_factory=deque)


class Supervisor:
    """Starts the children, restarts the ones that die, stops them all within a deadline."""

    def __init__(
        self,
        specs: Sequence[ChildSpec],
        env: dict[str, str],
        say: Callable[[str], None],
        policy: RestartPolicy | None = None,
    ) -> None:
        self._children = [_Child(spec) for spec in specs]
        self._env = env
        self._say = say
        self.policy = policy or RestartPolicy()

    def _spawn(self, child: _Child) -> None:
        child.process = subprocess.Popen(
            child.spec.argv(),
            env=self._env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            # Between fork and exec only a prctl call (libc loaded beforehand): no locks.
            preexec_fn=die_with_parent,
        )
        child.restart_at = None

    def start(self) -> None:
        for child in self._children:
            self._spawn(child)

    def pids(self) -> dict[str, int]:
        return {c.spec.name: c.process.pid for c in self._children if c.process is not None}

    def check(self, now: float | None = None) -> None:
        """Restart children that died and whose backoff has passed; raise ChildCrashLoopError when
        one died ``max_crashes`` times within the window."""
        now = time.monotonic() if now is None else now
        for child in self._children:
            if child.process is not None and child.process.poll() is not None:
                status = exit_status_text(child.process.returncode)
                child.process = None
                child.crashes.append(now)
                while child.crashes and now - child.crashes[0] > self.policy.window:
                    child.crashes.popleft()
                recent = len(child.crashes)
                if recent >= self.policy.max_crashes:
                    raise ChildCrashLoopError(
                        f"{child.spec.name} crashed {recent} times within "
                        f"{self.policy.window:.0f} s (last: {status}); giving up"
                    )
                delay = self.policy.delay(recent)
                child.restart_at = now + delay
                self._say(
                    f"{child.spec.name} stopped unexpectedly ({status}); "
                    f"restarting in {delay:.1f} s ({recent} crash(es) within "
                    f"{self.policy.window:.0f} s)"
                )
            if child.process is None and child.restart_at is not None and now >= child.restart_at:
                self._spawn(child)
                self._say(f"{child.spec.name} restarted")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to every child's process group at once, SIGKILL to what is left at the
        deadline: the whole stop takes at most ``timeout`` seconds, not one per child."""
        running = [c for c in self._children if c.process is not None]
        for child in running:
            assert child.process is not None
            _signal_group(child.process, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in running:
            assert child.process is not None
            try:
                child.process.wait(max(deadline - time.monotonic(), 0.01))
            except subprocess.TimeoutExpired:
                self._say(f"{child.spec.name} did not stop in {timeout:.0f} s; killing it")
                _signal_group(child.process, signal.SIGKILL)
                child.process.wait()
            child.process = None


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    # The child leads its own group: the signal reaches anything it started as well.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


class StarterWatch:
    """Tells when whoever started `acip up` is gone.

    That is our parent, or, when the parent is `make` (`make up`), make's own parent too:
    make outlives the shell, script or test that ran it and keeps waiting on its recipe, so
    without this a killed starter would leave make and the whole stack running. A process
    that is gone has its children re-parented, which is what is checked (Linux /proc;
    elsewhere only our own parent is watched)."""

    def __init__(self) -> None:
        self._parent = os.getppid()
        self._make_parent: int | None = None
        if _command_name(self._parent) in {"make", "gmake"}:
            self._make_parent = _parent_of(self._parent)

    def gone(self) -> str | None:
        if os.getppid() != self._parent:
            return f"the process that started acip up ({self._parent}) is gone"
        if self._make_parent is not None and _parent_of(self._parent) != self._make_parent:
            return f"the process that started `make up` ({self._make_parent}) is gone"
        return None
