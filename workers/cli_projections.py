"""`acip projections …`: read-model status and rebuild (registered by workers/cli.py).

Also the small helpers the `acip audit …` commands share: a pool for the command's
duration, and one clear line with a non-zero exit instead of a traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import asyncpg
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

T = TypeVar("T")

console = Console()
errors = Console(stderr=True)

projections_app = typer.Typer(
    help="Read models: how far behind they are, and rebuilding them from the events.",
    no_args_is_help=True,
)


class UserError(Exception):
    """Bad input or a state the user can fix: shown as one line."""


def say(message: str) -> None:
    """A plain line: never wrapped or colour-guessed by rich (paths, hashes stay whole)."""
    console.print(message, soft_wrap=True, markup=False, highlight=False)


def fail(message: str, status: int = 1) -> NoReturn:
    errors.print(f"acip: {message}", soft_wrap=True, markup=False, highlight=False)
    raise typer.Exit(status)


def with_pool(action: Callable[[asyncpg.Pool], Awaitable[T]], failure_status: int = 1) -> T:
    """Run ``action`` with a pool on ACIP_DATABASE_URL; known failures become one line.

    ``failure_status`` is the exit status for those failures (the audit checks keep 1 for
    "tampering found" and exit 2 when they cannot read the store at all)."""
    from workers.db import create_pool
    from workers.logs import configure_logging
    from workers.settings import load_settings

    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    if not settings.database_url:
        fail("ACIP_DATABASE_URL is not set (`acip up` prints it)", failure_status)

    async def main() -> T:
        pool = await create_pool(settings.database_url, min_size=1, max_size=4)
        try:
            return await action(pool)
        finally:
            await pool.close()

    try:
        return asyncio.run(main())
    except UserError as error:
        fail(str(error), failure_status)
    except (OSError, asyncpg.InterfaceError) as error:
        fail(f"cannot reach the database: {error}", failure_status)
    except asyncpg.UndefinedTableError as error:
        fail(f"the database is not migrated (run `acip migrate`): {error}", failure_status)
    except asyncpg.PostgresError as error:
        fail(f"database error: {error}", failure_status)


@projections_app.command("status")
def status() -> None:
    """Each projection's checkpoint, the store's head, and the lag (exit 1 if one is stuck)."""
    from eventstore import PostgresEventStore
    from projections.queries import projection_status
    from projections.views import ProjectionStatus

    async def action(pool: asyncpg.Pool) -> list[ProjectionStatus]:
        return await projection_status(pool, PostgresEventStore(pool))

    statuses = with_pool(action)
    table = Table(title="Projections")
    for column in ("projection", "checkpoint", "head", "lag (events)", "lag (s)", "updated"):
        table.add_column(
            column, justify="right" if column.startswith(("lag", "che", "he")) else "left"
        )
    table.add_column("state")
    stuck = False
    for s in statuses:
        state = "ok"
        if s.failure is not None:
            stuck = True
            state = (
                f"stuck at position {s.failure.position} ({s.failure.event_type}): "
                f"{s.failure.error}"
            )
        table.add_row(
            s.name,
            str(s.position),
            str(s.head),
            str(s.lag_events),
            f"{s.lag_seconds:.1f}",
            s.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
            state,
        )
    console.print(table)
    if stuck:
        raise typer.Exit(1)


@projections_app.command("rebuild")
def rebuild(
    name: str = typer.Argument("plans", help="The projection to rebuild (only: plans)."),
) -> None:
    """Rebuild a projection from position 0 beside the live tables, then swap them in."""
    from eventstore import PostgresEventStore
    from projections.plans import PlanProjection
    from projections.rebuild import RebuildError, RebuildResult
    from projections.rebuild import rebuild as run_rebuild

    projection = PlanProjection()
    if name != projection.name:
        fail(f"unknown projection {name!r}; known: {projection.name}")

    async def action(pool: asyncpg.Pool) -> RebuildResult:
        columns = (
            TextColumn(f"rebuilding {name}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(name, total=None)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=max(total, done))

            try:
                return await run_rebuild(
                    pool, PostgresEventStore(pool), projection, progress=on_progress
                )
            except RebuildError as error:
                raise UserError(f"rebuild stopped, live tables untouched: {error}") from None

    result = with_pool(action)
    rate = result.events / result.seconds if result.seconds else 0.0
    say(
        f"rebuilt {result.projection}: {result.events} events, {result.plans} plans, "
        f"up to position {result.position} in {result.seconds:.1f} s ({rate:,.0f} events/s)"
    )
