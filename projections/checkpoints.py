"""The projection_checkpoints table: position, and the event a projection is stuck on.

Every function takes the connection of the caller's transaction: a batch moves the read
models and the checkpoint in the same commit.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from projections.conn import Conn, Executor
from projections.plans import EventFailure


class CheckpointMovedError(Exception):
    """Someone else moved the checkpoint (a rebuild's swap, or a projector that took over):
    this batch was computed from a stale position and must not be committed."""

    def __init__(self, name: str, expected: int, actual: int) -> None:
        super().__init__(
            f"projection {name}: checkpoint is at {actual}, this batch started at {expected}"
        )
        self.expected = expected
        self.actual = actual


class Checkpoint(BaseModel):
    name: str
    position: int
    updated_at: datetime
    rebuilt_at: datetime | None
    failed_position: int | None
    failed_event_id: str | None
    failed_event_type: str | None
    failed_error: str | None
    failed_at: datetime | None


_COLUMNS = (
    "name, position, updated_at, rebuilt_at, failed_position, failed_event_id::text,"
    " failed_event_type, failed_error, failed_at"
)


async def read_checkpoint(conn: Executor, name: str) -> Checkpoint:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM projection_checkpoints WHERE name = $1", name
    )
    if row is None:
        raise LookupError(f"there is no projection named {name!r}")
    return Checkpoint(**dict(row))


async def list_checkpoints(conn: Executor) -> list[Checkpoint]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM projection_checkpoints ORDER BY name")
    return [Checkpoint(**dict(row)) for row in rows]


async def lock_checkpoint(conn: Conn, name: str, expected: int) -> None:
    """Lock the row for this transaction and check nobody moved it. The lock comes before
    any read-model access, so a rebuild's swap (which takes it first) is seen whole."""
    actual = await conn.fetchval(
        "SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE", name
    )
    if actual is None:
        raise LookupError(f"there is no projection named {name!r}")
    if actual != expected:
        raise CheckpointMovedError(name, expected, actual)


async def advance(conn: Conn, name: str, position: int) -> None:
    """Move the checkpoint; a move past the stuck event clears the failure record."""
    await conn.execute(
        """
        UPDATE projection_checkpoints
           SET position = $2, updated_at = clock_timestamp(),
               failed_position = NULL, failed_event_id = NULL, failed_event_type = NULL,
               failed_error = NULL, failed_at = NULL
         WHERE name = $1
        """,
        name,
        position,
    )


async def record_failure(conn: Conn, name: str, failure: EventFailure) -> None:
    await conn.execute(
        """
        UPDATE projection_checkpoints
           SET failed_position = $2, failed_event_id = $3::uuid, failed_event_type = $4,
               failed_error = $5, failed_at = clock_timestamp()
         WHERE name = $1
        """,
        name,
        failure.position,
        failure.event_id,
        failure.event_type,
        failure.error,
    )


async def read_models_moved(conn: Executor) -> tuple[int, datetime | None]:
    """How far the projections have got, and when one was last rebuilt: a read of the
    read models gives the same answer while both stay the same (for the same day)."""
    row = await conn.fetchrow(
        "SELECT coalesce(max(position), 0) AS position, max(rebuilt_at) AS rebuilt_at"
        " FROM projection_checkpoints"
    )
    assert row is not None  # an aggregate always answers one row
    return row["position"], row["rebuilt_at"]
