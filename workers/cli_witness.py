"""`acip witness`, `acip checkpointer` and `acip audit checkpoint`: the Merkle log's processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import typer

from workers.cli_audit import audit_app
from workers.cli_projections import UserError, fail, say, with_pool
from workers.settings import Settings, load_settings


def run_witness(settings: Settings) -> None:
    import uvicorn

    from witness.app import create_app
    from witness.service import Witness
    from workers.logs import configure_logging

    configure_logging(settings.log_format, settings.log_level)
    witness = Witness(settings.resolved_witness_home)
    logging.getLogger("acip.witness").info(
        "witness %s keeps its record in %s", witness.key_id, settings.resolved_witness_home
    )
    try:
        uvicorn.run(
            create_app(witness),
            host=settings.witness_host,
            port=settings.witness_port,
            log_config=None,  # our logging set-up renders uvicorn's records too
            access_log=False,
        )
    finally:
        witness.close()


async def run_checkpointer(settings: Settings) -> None:
    import httpx

    from workers.checkpointer import Checkpointer
    from workers.db import create_pool

    pool = await create_pool(settings.database_url, max_size=3)
    witness = (
        httpx.AsyncClient(base_url=settings.witness_url, timeout=10)
        if settings.witness_url
        else None
    )
    checkpointer = Checkpointer(
        pool,
        settings.resolved_checkpoint_key_file,
        origin=settings.log_origin,
        witness=witness,
        interval=settings.checkpoint_interval,
    )
    try:
        await checkpointer.run()
    finally:
        if witness is not None:
            await witness.aclose()
        await pool.close()


def register(app: typer.Typer) -> None:
    @app.command("witness")
    def witness() -> None:
        """Run the witness: cosigns checkpoints that extend the last one it cosigned."""
        run_witness(load_settings())

    @app.command("checkpointer")
    def checkpointer() -> None:
        """Run the checkpointer: signs the Merkle log while events arrive, has it witnessed."""
        from workers.logs import configure_logging

        settings = load_settings()
        if not settings.database_url:
            fail("ACIP_DATABASE_URL is not set (`acip up` sets it for its children)", 2)
        configure_logging(settings.log_format, settings.log_level)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: a clean stop, nothing lost
            asyncio.run(run_checkpointer(settings))


@audit_app.command("checkpoint")
def checkpoint() -> None:
    """Sign a checkpoint now and have it (and any queued ones) witnessed."""
    import asyncpg
    import httpx

    from eventstore.checkpoints import Checkpoint, latest, make_checkpoint, unwitnessed
    from eventstore.keys import load_or_create
    from workers.checkpointer import WitnessRefusedError, witness_pending

    settings = load_settings()
    key_file = settings.resolved_checkpoint_key_file

    async def action(pool: asyncpg.Pool) -> tuple[Checkpoint | None, int, str]:
        await make_checkpoint(pool, load_or_create(key_file), origin=settings.log_origin)
        note = ""
        if settings.witness_url:
            try:
                async with httpx.AsyncClient(base_url=settings.witness_url, timeout=10) as client:
                    await witness_pending(pool, client, key_file)
            except WitnessRefusedError as refused:
                note = f"the witness REFUSED: {refused}"
            except httpx.HTTPError as error:
                note = f"the witness is unreachable ({error}); queued"
        else:
            note = "no witness configured (ACIP_WITNESS_URL): the checkpoint is unwitnessed"
        current = await latest(pool)
        if current is None:
            raise UserError("the store is empty: nothing to checkpoint")
        return current, len(await unwitnessed(pool)), note

    current, queued, note = with_pool(action)
    assert current is not None
    state = "witnessed" if current.witnessed else "not yet witnessed"
    say(f"checkpoint: {current.size} events, root {current.root_hash} ({state}; {queued} queued)")
    if note:
        say(note)


@audit_app.command("attempts")
def attempts(
    plan_id: str = typer.Argument(..., help="e.g. GHA-2026"),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of a table."),
) -> None:
    """Commands refused for a rule, role or scope on this plan, oldest first."""
    import json
    import sys
    from typing import Any

    import asyncpg
    from rich.table import Table

    from api.attempts import refused_attempts, sentence, summary
    from workers.cli_projections import console

    async def action(pool: asyncpg.Pool) -> list[dict[str, Any]]:
        from eventstore import PostgresEventStore

        return await refused_attempts(PostgresEventStore(pool), plan_id)

    found = with_pool(action)
    if as_json:
        sys.stdout.write(json.dumps({"attempts": found, **summary(found)}, indent=2) + "\n")
        return
    table = Table(title=f"Refused attempts on {plan_id}: {sentence(summary(found))}")
    for column in ("#", "when (UTC)", "actor", "role", "command", "rule", "command id"):
        table.add_column(column, overflow="fold")
    for a in found:
        table.add_row(
            str(a["version"]), a["occurred_at"][:19], a["actor"], a["role"].replace("_", " "),
            a["command_type"], a["rule"], a["command_id"] or "",
        )  # fmt: skip
    console.print(table)
