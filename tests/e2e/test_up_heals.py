"""`acip up` as a process supervising real children on real PostgreSQL and Temporal's dev
server: a killed worker comes back while the API stays up; a child that crashes at once
every time stops the stack with the reason; a signal to `make up` leaves no process behind;
a second terminal finds the stack on a non-default API port through stack.json."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.stack_processes import (
    child_pid,
    clean_env,
    free_port,
    processes_of_home,
    wait_until,
)
from workers.embedded import temporal_dev_server

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
STOP_WITHIN = 15.0


@pytest.fixture(scope="module")
def temporal_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("temporal")
    with temporal_dev_server(home, "127.0.0.1", free_port(), free_port()) as address:
        yield address


class RunningUp:
    def __init__(self, process: subprocess.Popen[bytes], home: Path, log: Path, port: int):
        self.process, self.home, self.log, self.port = process, home, log, port

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_up(self, timeout: float, what: str) -> None:
        """Until it says it is up (or ends); fails, with its output, if it ended instead."""
        wait_until(
            lambda: "acip is up" in self.output or self.process.poll() is not None, timeout, what
        )
        assert self.process.poll() is None, self.output

    def acip(self, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
        """A CLI command from a "second terminal": only ACIP_HOME, nothing else exported."""
        return subprocess.run(
            [sys.executable, "-m", "workers.cli", *args],
            env=clean_env(self.home, **settings),
            capture_output=True,
            text=True,
            timeout=60,
        )

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, float]:
        started = time.monotonic()
        self.process.send_signal(signum)
        status = self.process.wait(STOP_WITHIN + 5)
        wait_until(lambda: not processes_of_home(self.home), STOP_WITHIN, "no process left")
        return status, time.monotonic() - started


def start_up(
    home: Path, database_url: str, temporal_address: str, *command: str, **settings: str
) -> RunningUp:
    home.chmod(0o755)
    port = free_port()
    env = clean_env(
        home,
        ACIP_DATABASE_URL=database_url,
        ACIP_TEMPORAL_ADDRESS=temporal_address,
        ACIP_API_PORT=str(port),
        ACIP_WITNESS_PORT=str(free_port()),
        ACIP_TASK_QUEUE=f"acip-{uuid.uuid4()}",
        ACIP_LOG_LEVEL="info",
        **settings,
    )
    log = home / "up.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(command or [sys.executable, "-m", "workers.cli", "up"]),
            env=env,
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return RunningUp(process, home, log, port)


@pytest.fixture
def up_process(
    tmp_path: Path, fresh_database_url: str, temporal_address: str
) -> Iterator[RunningUp]:
    running = start_up(tmp_path, fresh_database_url, temporal_address)
    try:
        running.wait_until_up(90, "acip up")
        yield running
    finally:
        _kill_leftovers(running)


def _kill_leftovers(running: RunningUp) -> None:
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()
    for pid in processes_of_home(running.home):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_a_killed_worker_comes_back_the_api_stays_and_a_command_succeeds(
    up_process: RunningUp,
) -> None:
    stack_file = json.loads((up_process.home / "stack.json").read_text())
    assert stack_file["api_url"] == f"http://127.0.0.1:{up_process.port}"
    # A second terminal, with only ACIP_HOME: the database and the API on a non-default
    # port come from stack.json.
    added = up_process.acip("users", "add", "wco.pm", "--role", "programme_manager")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    listed = up_process.acip("plans", "list", "--json", ACIP_TOKEN=token)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["plans"] == []

    worker, api = child_pid(up_process.home, "worker"), child_pid(up_process.home, "api")
    assert worker is not None and api is not None, processes_of_home(up_process.home)
    os.kill(worker, signal.SIGKILL)
    answers: list[httpx.Response] = []
    base = f"http://127.0.0.1:{up_process.port}"
    headers = {"Authorization": f"Bearer {token}"}
    plan = {
        "country": "NOR",
        "administration": "Norwegian Customs",
        "title": "Integrity action plan 2030-2032",
        "period_start": "2030-01-01",
        "period_end": "2032-12-31",
    }

    def open_plan_while_the_worker_is_down() -> None:
        with httpx.Client(base_url=base, timeout=90) as client:
            answers.append(client.post("/plans", json=plan, headers=headers))

    in_flight = threading.Thread(target=open_plan_while_the_worker_is_down)
    in_flight.start()
    restarted_after = wait_until(
        lambda: "worker restarted" in up_process.output, 30, "the worker's restart"
    )
    in_flight.join(90)
    assert answers and answers[0].status_code == 201, answers and answers[0].text
    assert answers[0].json() == {"plan_id": "NOR-2030", "version": 1}
    assert "worker stopped unexpectedly (killed by SIGKILL)" in up_process.output
    assert child_pid(up_process.home, "api") == api  # the API was never restarted
    new_worker = child_pid(up_process.home, "worker")
    assert new_worker not in (None, worker)
    with httpx.Client(base_url=base, timeout=30) as client:
        assert client.get("/healthz").json() == {"postgres": "ok", "temporal": "ok"}
    print(f"worker restarted {restarted_after:.1f} s after SIGKILL")

    status, took = up_process.stop(signal.SIGTERM)
    assert status == 0, up_process.output
    assert took < STOP_WITHIN
    assert not (up_process.home / "stack.json").exists()
    print(f"SIGTERM to acip up: every child gone in {took:.1f} s")


def test_a_child_that_crashes_at_once_every_time_stops_up_with_the_reason(
    tmp_path: Path, fresh_database_url: str, temporal_address: str
) -> None:
    # A namespace the Temporal server does not have: the worker dies at start, every time.
    # Starting a worker takes 8-10 s on 2 busy cores, so the window is wide for the test:
    # what is checked is the giving up, not the default 5 in 60 s.
    running = start_up(
        tmp_path,
        fresh_database_url,
        temporal_address,
        ACIP_TEMPORAL_NAMESPACE="nowhere",
        ACIP_UP_MAX_CRASHES="3",
        ACIP_UP_CRASH_WINDOW="600",
    )
    try:
        started = time.monotonic()
        status = running.process.wait(180)
        took = time.monotonic() - started
        output = running.output
        assert status == 3, output
        assert "worker crashed 3 times within 600 s (last: exit status 1); giving up" in output
        assert output.count("worker stopped unexpectedly (exit status 1)") == 2, output
        assert "restarting in 0.5 s" in output and "restarting in 1.0 s" in output  # backoff
        wait_until(lambda: not processes_of_home(running.home), STOP_WITHIN, "no process left")
        print(f"crash loop detected and the stack stopped after {took:.1f} s")
    finally:
        _kill_leftovers(running)


MAKE_UP = ("make", "--no-print-directory", "-o", ".venv/.installed-dev", "up")  # -o: no pip
# A script that runs `make up` and dies of SIGTERM without passing it on, as most do.
STARTER = (sys.executable, "-c", "import subprocess, sys; subprocess.call(sys.argv[1:])")


@pytest.mark.parametrize(
    ("how", "command"),
    [
        ("SIGTERM to make", MAKE_UP),
        ("Ctrl-C: SIGINT to the terminal's process group", MAKE_UP),
        ("SIGTERM to the process that started make up", (*STARTER, *MAKE_UP)),
    ],
)
def test_a_signal_to_make_up_leaves_no_acip_process(
    tmp_path: Path,
    fresh_database_url: str,
    temporal_address: str,
    how: str,
    command: tuple[str, ...],
) -> None:
    running = start_up(tmp_path, fresh_database_url, temporal_address, *command)
    try:
        running.wait_until_up(120, "make up")
        # make, acip up and its children (witness, worker, projector, checkpointer, api)
        assert len(processes_of_home(tmp_path)) >= 7
        if how.startswith("Ctrl-C"):
            os.killpg(running.process.pid, signal.SIGINT)
        else:
            running.process.send_signal(signal.SIGTERM)  # to that one process alone
        took = wait_until(
            lambda: not processes_of_home(tmp_path), STOP_WITHIN, "every acip process to stop"
        )
        assert "stopped." in running.output, running.output
        print(f"{how}: every acip process gone in {took:.1f} s")
    finally:
        _kill_leftovers(running)
