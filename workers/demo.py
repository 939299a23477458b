"""Demo users (one per role) for `acip up --demo`, written to ``$ACIP_HOME/demo-users.json``
with a personal access token (every scope the role allows), their e-mail and a password.

The demo stack waives the second factor (ACIP_DEMO, set by `acip up --demo` only; every
page carries a banner saying so), so no TOTP secret is enrolled or written.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import asyncpg

from api.credentials import set_password
from api.users import UserError, add_user, list_users, reactivate_user, rotate_token
from domain import Role
from eventstore import EventStore

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

Entry = dict[str, str | None]


async def ensure_demo_users(pool: asyncpg.Pool, store: EventStore, path: Path) -> list[Entry]:
    """Create the demo users, or give existing ones fresh tokens and passwords if the file
    was lost or is of an older shape (no password)."""
    saved = _read(path)
    existing = {user.name: user for user in await list_users(pool)}
    if saved is not None:
        wanted = {name for name, *_ in DEMO_USERS}
        if wanted <= {entry["name"] for entry in saved} and all(
            entry.get("password")
            and entry["name"] in existing
            and not existing[str(entry["name"])].revoked
            for entry in saved
        ):
            return list(saved)
    entries: list[Entry] = []
    for name, role, country, email in DEMO_USERS:
        if name in existing:
            # `--demo` promises a working account per role, so a deactivated one comes back.
            renew = reactivate_user if existing[name].revoked else rotate_token
            token = await renew(pool, store, name)
        else:
            try:
                token = await add_user(pool, store, name, role, country, email)
            except UserError:
                token = await rotate_token(pool, store, name)
        # Random, so a demo left reachable is not open to a published password.
        password = secrets.token_urlsafe(12)
        await set_password(pool, name, password)
        entries.append(
            {
                "name": name,
                "role": role.value,
                "country": country,
                "token": token,
                "email": email,
                "password": password,
            }
        )
    _write(path, entries)
    return entries


def _read(path: Path) -> list[Entry] | None:
    if not path.exists():
        return None
    saved: list[Entry] = json.loads(path.read_text())
    return saved


def _write(path: Path, entries: list[Entry]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=2) + "\n")
    path.chmod(0o600)
