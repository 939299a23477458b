"""`acip up --demo` as a new user runs it: open a plan over HTTP, see it in the read model."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.polling import eventually_blocking

pytestmark = pytest.mark.e2e


KEN_2027 = {
    "country": "KEN",
    "administration": "Kenya Revenue Authority - Customs",
    "title": "Integrity action plan 2027-2029",
    "period_start": "2027-01-01",
    "period_end": "2029-12-31",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("acip-home")
    home.chmod(0o755)
    api_port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACIP_")}
    env.update(
        ACIP_HOME=str(home),
        ACIP_API_PORT=str(api_port),
        ACIP_TEMPORAL_PORT=str(free_port()),
        ACIP_TEMPORAL_UI_PORT=str(free_port()),
        ACIP_WITNESS_PORT=str(free_port()),
        ACIP_LOG_FORMAT="json",
    )
    log_path = home / "up.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "up", "--demo"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{api_port}"
        try:
            eventually_blocking(
                lambda: b"acip is up" in log_path.read_bytes() or process.poll() is not None,
                within=120,
                what="acip up",
            )
            assert process.poll() is None, log_path.read_text()
            yield base, home
        finally:
            process.send_signal(signal.SIGINT)
            try:
                status = process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
    output = log_path.read_text()
    assert status == 0, output
    assert "stopped." in output


def test_open_plan_through_http_shows_in_read_model(stack: tuple[str, Path]) -> None:
    base, home = stack
    users = json.loads((home / "demo-users.json").read_text())
    assert {user["role"] for user in users} == {
        "programme_manager",
        "focal_point",
        "head_of_administration",
        "auditor",
        "observer",
    }
    manager = next(user for user in users if user["role"] == "programme_manager")
    headers = {"Authorization": f"Bearer {manager['token']}"}
    with httpx.Client(base_url=base, timeout=30) as client:
        health = client.get("/healthz")
        assert health.status_code == 200, health.text
        assert health.json() == {"postgres": "ok", "temporal": "ok"}

        assert client.post("/plans", json={}).status_code == 401

        opened = client.post(
            "/plans",
            headers=headers,
            json=KEN_2027,
        )
        assert opened.status_code == 201, opened.text
        assert opened.json() == {"plan_id": "KEN-2027", "version": 1}

        def visible() -> bool:
            response = client.get("/plans/KEN-2027", headers=headers)
            return response.status_code == 200 and response.json()["phase"] == "diagnostic"

        eventually_blocking(visible, within=10, what="the plan in the read model")

        again = client.post(
            "/plans",
            headers=headers,
            json=KEN_2027,
        )
        assert again.status_code == 409, again.text
        assert again.json()["rule"] == "plan_exists"


def test_demo_people_sign_in_with_their_printed_password(stack: tuple[str, Path]) -> None:
    base, home = stack
    users = json.loads((home / "demo-users.json").read_text())
    assert all({"name", "role", "country", "token", "email", "password"} <= set(u) for u in users)
    head = next(user for user in users if user["name"] == "ken.head")
    with httpx.Client(base_url=base, timeout=30) as browser:
        wrong = browser.post("/ui/login", data={"login": head["email"], "password": "not it"})
        assert wrong.status_code == 401
        signed_in = browser.post(
            "/ui/login", data={"login": head["email"], "password": head["password"]}
        )
        assert signed_in.status_code == 303, signed_in.text
        page = browser.get("/ui/plans/KEN-2026")
    # The demo waives the second factor, and says so on every page.
    assert page.status_code == 200 and "Demo mode: the second factor is waived" in page.text
    assert "Approve the plan" in page.text


def test_cli_in_a_second_terminal_finds_the_running_stack(stack: tuple[str, Path]) -> None:
    _base, home = stack
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACIP_")}
    env["ACIP_HOME"] = str(home)
    listed = subprocess.run(
        [sys.executable, "-m", "workers.cli", "users", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert "wco.manager" in listed.stdout
    assert "programme_manager" in listed.stdout


def test_the_witness_cosigns_and_the_whole_store_verifies_against_it(
    stack: tuple[str, Path],
) -> None:
    _base, home = stack
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACIP_")}
    env["ACIP_HOME"] = str(home)

    def acip(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "workers.cli", *args],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    made = acip("audit", "checkpoint")
    assert made.returncode == 0, made.stderr
    assert "(witnessed; 0 queued)" in made.stdout, made.stdout
    verified = acip("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "match" in verified.stdout and "witnessed checkpoint" in verified.stdout
    assert (home / "witness" / "witness.key").stat().st_mode & 0o777 == 0o600
    assert (home / "keys" / "checkpoint.pem").stat().st_mode & 0o777 == 0o600
