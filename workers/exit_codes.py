"""Exit statuses of the integrity commands (`acip audit verify`, `verify-export`, and the
checkpoint checks built on them), in one place so scripts and docs agree."""

from __future__ import annotations

from enum import IntEnum


class AuditExit(IntEnum):
    """What an integrity check found; documented in docs/eventstore.md."""

    INTACT = 0  # every hash recomputed and matched
    BROKEN = 1  # tampering found: a changed, missing, reordered or foreign event
    UNREADABLE = 2  # the input could not be read (bad usage, unreadable file, no database)
    NOT_FOUND = 3  # the plan (or export) asked for does not exist
