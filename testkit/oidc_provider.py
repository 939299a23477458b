"""A real OpenID provider on loopback for the tests: panva's oidc-provider (pinned in
testkit/oidc_provider/package-lock.json, installed by `make test-tools`), started as a node
process by ``running_provider`` with one confidential client and the accounts given, and a
way to disable an account there while the test runs (the provider then refuses that
person's sign-ins and refresh tokens, as a directory does for someone who left)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

HERE = Path(__file__).resolve().parent / "oidc_provider"
SCRIPT = HERE / "provider.js"


@dataclass(frozen=True)
class Account:
    login: str  # the provider's subject
    password: str
    email: str
    email_verified: bool = True


@dataclass(frozen=True)
class RunningProvider:
    issuer: str
    client_id: str
    client_secret: str
    admin_key: str

    def disable(self, login: str) -> None:
        self._admin(login, "disable")

    def enable(self, login: str) -> None:
        self._admin(login, "enable")

    def _admin(self, login: str, action: str) -> None:
        answer = httpx.post(
            f"{self.issuer}/admin/accounts/{login}/{action}",
            headers={"x-admin-key": self.admin_key},
        )
        assert answer.status_code == 204, answer.text


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_provider(redirect_uri: str, accounts: list[Account]) -> Iterator[RunningProvider]:
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError("the test OpenID provider is not installed: run `make test-tools`")
    port = _free_port()
    running = RunningProvider(
        issuer=f"http://127.0.0.1:{port}",
        client_id="acip-dashboard",
        client_secret=secrets.token_urlsafe(24),
        admin_key=secrets.token_urlsafe(16),
    )
    environment = {
        **os.environ,
        "OIDC_PORT": str(port),
        "OIDC_CLIENT_ID": running.client_id,
        "OIDC_CLIENT_SECRET": running.client_secret,
        "OIDC_REDIRECT_URI": redirect_uri,
        "OIDC_ADMIN_KEY": running.admin_key,
        "OIDC_ACCOUNTS": json.dumps(
            {
                a.login: {
                    "password": a.password,
                    "email": a.email,
                    "email_verified": a.email_verified,
                }
                for a in accounts
            }
        ),
    }
    # The provider's own log goes to a file: a pipe nobody reads would fill and stall it.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [node, str(SCRIPT)], cwd=HERE, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_serving(running.issuer, process, log)
            yield running
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_serving(issuer: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{issuer}/.well-known/openid-configuration").raise_for_status()
            return
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                error = log.read().decode(errors="replace")
                raise RuntimeError(f"the test OpenID provider did not start: {error}") from None
            time.sleep(0.1)
