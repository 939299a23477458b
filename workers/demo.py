"""Demo users (one per role) for `acip up --demo`, written with their tokens to a JSON file."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg

from api.users import UserError, add_user, list_users, reactivate_user, rotate_token
from domain import Role

DEMO_USERS: tuple[tuple[str, Role, str | None, str], ...] = (
    ("wco.manager", Role.PROGRAMME_MANAGER, None, "manager@wco.example"),
    ("gha.focal", Role.FOCAL_POINT, "GHA", "focal@gra.example"),
    ("gha.head", Role.HEAD_OF_ADMINISTRATION, "GHA", "commissioner@gra.example"),
    ("wco.auditor", Role.AUDITOR, None, "audit@wco.example"),
    ("donor.observer", Role.OBSERVER, None, "observer@donor.example"),
    # The other demo plans' people (workers/demo_plans.py), and a second country to show
    # that a focal point sees only their own.
    ("ken.focal", Role.FOCAL_POINT, "KEN", "focal@kra.example"),
    ("ken.head", Role.HEAD_OF_ADMINISTRATION, "KEN", "commissioner@kra.example"),
    ("tza.focal", Role.FOCAL_POINT, "TZA", "focal@tra.example"),
    ("tza.head", Role.HEAD_OF_ADMINISTRATION, "TZA", "commissioner@tra.example"),
)


async def ensure_demo_users(pool: asyncpg.Pool, path: Path) -> list[dict[str, str | None]]:
    """Create the demo users, or give existing ones fresh tokens if the file was lost."""
    saved = _read(path)
    existing = {user.name: user for user in await list_users(pool)}
    if saved is not None:
        wanted = {name for name, *_ in DEMO_USERS}
        if wanted <= {entry["name"] for entry in saved} and all(
            entry["name"] in existing and not existing[str(entry["name"])].revoked
            for entry in saved
        ):
            return list(saved)
    entries: list[dict[str, str | None]] = []
    for name, role, country, email in DEMO_USERS:
        if name in existing:
            # `--demo` promises a working token per role, so a revoked demo user comes back.
            renew = reactivate_user if existing[name].revoked else rotate_token
            token = await renew(pool, name)
        else:
            try:
                token = await add_user(pool, name, role, country, email)
            except UserError:
                token = await rotate_token(pool, name)
        entries.append({"name": name, "role": role.value, "country": country, "token": token})
    _write(path, entries)
    return entries


def _read(path: Path) -> list[dict[str, str | None]] | None:
    if not path.exists():
        return None
    saved: list[dict[str, str | None]] = json.loads(path.read_text())
    return saved


def _write(path: Path, entries: list[dict[str, str | None]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=2) + "\n")
    path.chmod(0o600)
