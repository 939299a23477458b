"""`acip users …` as a process on a real database: what it cannot honour is refused with one
line and a non-zero exit, and re-activating a revoked user is its own explicit command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from api.users import actor_for_token


def acip(database_url: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACIP_")}
    env.update(ACIP_DATABASE_URL=database_url, ACIP_HOME=str(home), ACIP_LOG_LEVEL="warning")
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_refused(result: subprocess.CompletedProcess[str], text: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert text in result.stderr, result.stderr


async def test_a_country_for_an_all_country_role_and_made_up_codes_are_refused(
    fresh_database_url: str, tmp_path: Path
) -> None:
    for role in ("programme_manager", "auditor"):
        refused = acip(fresh_database_url, tmp_path, "users", "add", f"x.{role}", "--role", role,
                       "--country", "GHA")  # fmt: skip
        assert_refused(refused, "acts on all countries")
    for code in ("XYZ", "GH", "ghana"):
        refused = acip(fresh_database_url, tmp_path, "users", "add", "x.focal", "--role",
                       "focal_point", "--country", code)  # fmt: skip
        assert_refused(refused, "is not an ISO 3166-1 alpha-3 code")
    accepted = acip(fresh_database_url, tmp_path, "users", "add", "gha.observer", "--role",
                    "observer", "--country", "gha")  # fmt: skip
    assert accepted.returncode == 0, accepted.stderr
    listed = acip(fresh_database_url, tmp_path, "users", "list")
    assert listed.returncode == 0, listed.stderr
    # Only the accepted user was stored, with its code in capitals.
    # (en): no language chosen, so the deployment's default, shown in brackets.
    assert listed.stdout.split() == ["gha.observer", "observer", "GHA", "(en)", "active"]


async def test_a_persons_language_is_set_at_creation_and_changed_later(
    fresh_database_url: str, tmp_path: Path
) -> None:
    added = acip(fresh_database_url, tmp_path, "users", "add", "mli.focal", "--role",
                 "focal_point", "--country", "MLI", "--language", "fr")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert_refused(
        acip(fresh_database_url, tmp_path, "users", "language", "mli.focal", "de"),
        "language must be one of en, fr, es, pt, ar",
    )
    changed = acip(fresh_database_url, tmp_path, "users", "language", "mli.focal", "pt")
    assert changed.returncode == 0 and changed.stdout.strip() == "mli.focal reads pt"
    listed = acip(fresh_database_url, tmp_path, "users", "list")
    assert listed.stdout.split() == ["mli.focal", "focal_point", "MLI", "pt", "active"]
    cleared = acip(fresh_database_url, tmp_path, "users", "language", "mli.focal", "default")
    assert cleared.stdout.strip() == "mli.focal reads en"


async def test_token_refuses_a_revoked_user_and_reactivate_is_explicit(
    fresh_database_url: str, tmp_path: Path
) -> None:
    added = acip(fresh_database_url, tmp_path, "users", "add", "leaver", "--role", "auditor")
    assert added.returncode == 0, added.stderr
    first_token = added.stdout.strip()
    assert acip(fresh_database_url, tmp_path, "users", "revoke", "leaver").returncode == 0

    assert_refused(
        acip(fresh_database_url, tmp_path, "users", "token", "leaver"),
        "'leaver' is revoked; `acip users reactivate leaver`",
    )
    assert_refused(acip(fresh_database_url, tmp_path, "users", "token", "nobody"), "no user")
    conn = await asyncpg.connect(fresh_database_url)
    try:
        revoked = await conn.fetchval("SELECT revoked_at FROM users WHERE name = 'leaver'")
    finally:
        await conn.close()
    assert revoked is not None  # the refused `token` left the user revoked

    reactivated = acip(fresh_database_url, tmp_path, "users", "reactivate", "leaver")
    assert reactivated.returncode == 0, reactivated.stderr
    new_token = reactivated.stdout.strip()
    assert new_token.startswith("acip_") and new_token != first_token
    assert_refused(
        acip(fresh_database_url, tmp_path, "users", "reactivate", "leaver"), "'leaver' is active"
    )

    pool = await asyncpg.create_pool(fresh_database_url, min_size=1, max_size=2)
    assert pool is not None
    try:
        actor = await actor_for_token(pool, new_token)
        assert actor is not None and actor.name == "leaver"
        assert await actor_for_token(pool, first_token) is None  # the revoked token stays dead
    finally:
        await pool.close()
    rotated = acip(fresh_database_url, tmp_path, "users", "token", "leaver")
    assert rotated.returncode == 0, rotated.stderr


async def test_an_observer_can_be_scoped_to_a_donor_and_only_an_observer(
    fresh_database_url: str, tmp_path: Path
) -> None:
    added = acip(fresh_database_url, tmp_path, "users", "add", "norad.observer", "--role",
                 "observer", "--donor", "norad")  # fmt: skip
    assert added.returncode == 0, added.stderr
    refused = acip(fresh_database_url, tmp_path, "users", "add", "x.auditor", "--role",
                   "auditor", "--donor", "norad")  # fmt: skip
    assert_refused(refused, "only an observer can be scoped to a donor")
    malformed = acip(fresh_database_url, tmp_path, "users", "add", "x.observer", "--role",
                     "observer", "--donor", "Not A Donor")  # fmt: skip
    assert_refused(malformed, "--donor must be a donor code")
    conn = await asyncpg.connect(fresh_database_url)
    try:
        donors = await conn.fetch("SELECT name, donor FROM users ORDER BY name")
    finally:
        await conn.close()
    assert [tuple(row) for row in donors] == [("norad.observer", "norad")]
