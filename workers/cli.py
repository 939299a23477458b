"""The `acip` command line: operations (up, worker, projector, api, migrate, users)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import typer

from workers.logs import configure_logging
from workers.settings import Settings, load_settings

if TYPE_CHECKING:
    import asyncpg

    from eventstore import EventStore

app = typer.Typer(
    name="acip",
    help="A-CIP action plans: run the stack, manage users, read plans and audit trails.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
users_app = typer.Typer(help="People who may use the API, and their tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")
security_app = typer.Typer(help="The security record (auditors).", no_args_is_help=True)
app.add_typer(security_app, name="security")

T = TypeVar("T")


class CliError(Exception):
    """A message for the user, printed on one line, with a non-zero exit."""


def _settings() -> Settings:
    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    return settings


def _need(value: str, setting: str) -> str:
    if not value:
        raise CliError(f"{setting} is not set (`acip up` sets it for its children)")
    return value


def _run(coroutine_factory: Callable[[], Awaitable[T]]) -> T:
    async def _main() -> T:
        return await coroutine_factory()

    return asyncio.run(_main())


@app.command()
def up(
    demo: bool = typer.Option(False, "--demo", help="Create one demo user per role."),
) -> None:
    """Start the whole stack: PostgreSQL, Temporal, migrations, worker, projector, API."""
    from workers.settings import Settings
    from workers.up import up as run_up

    # Not load_settings(): `up` starts a stack, it never adopts another one's addresses.
    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    raise typer.Exit(run_up(settings, demo))


@app.command()
def worker() -> None:
    """Run the Temporal worker (plan workflows and their activities)."""
    from workers.processes import run_worker

    _serve(run_worker, temporal=True)


@app.command()
def projector() -> None:
    """Run the projector that folds events into read models."""
    from workers.processes import run_projector

    _serve(run_projector, temporal=False)


@app.command()
def api() -> None:
    """Serve the HTTP API and the dashboard."""
    from workers.processes import run_api

    _serve(run_api, temporal=True)


@app.command()
def migrate() -> None:
    """Apply pending database migrations (safe to run from two processes at once)."""
    from api.people import migrate_legacy_users
    from workers.db import migrate_all

    settings = _settings()
    url = _need(settings.database_url, "ACIP_DATABASE_URL")
    applied = _run(lambda: migrate_all(url))
    typer.echo(
        f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else "")
    )
    migrated = _run(lambda: _with_store(url, migrate_legacy_users))
    if migrated:
        typer.echo(f"users migrated into streams: {', '.join(migrated)}")


@users_app.command("add")
def users_add(
    name: str,
    role: str = typer.Option(
        ...,
        "--role",
        help="programme_manager, focal_point, head_of_administration, auditor or observer",
    ),
    country: str | None = typer.Option(None, "--country", help="ISO 3166-1 alpha-3, e.g. GHA"),
    donor: str | None = typer.Option(
        None, "--donor", help="observers only: see only the plans this donor funds, e.g. norad"
    ),
    email: str | None = typer.Option(None, "--email"),
    language: str | None = typer.Option(
        None,
        "--language",
        help="en, fr, es, pt or ar: the dashboard's and e-mails' language "
        "(default: ACIP_DEFAULT_LANGUAGE)",
    ),
) -> None:
    """Create a person (the first programme manager, say) and print a personal access token
    with every scope of the role (shown once); a link to set a password and second factor
    for the dashboard goes to stderr."""
    from api.users import add_user, setup_link
    from domain import Role
    from domain.countries import is_country_code

    try:
        parsed_role = Role(role)
    except ValueError:
        raise CliError(f"unknown role {role!r}") from None
    code = country.strip().upper() if country else None
    if code is not None and not is_country_code(code):
        # A made-up code would scope the user to a country no plan can ever have.
        raise CliError(f"--country {country!r} is not an ISO 3166-1 alpha-3 code, e.g. GHA")
    settings = _settings()
    url = _need(settings.database_url, "ACIP_DATABASE_URL")

    async def add(pool: asyncpg.Pool, store: EventStore) -> tuple[str, str]:
        token = await add_user(pool, store, name, parsed_role, code, email, language, donor)
        return token, await setup_link(pool, name, settings.link_base_url)

    token, link = _run(lambda: _with_store(url, add))
    typer.echo(token)
    typer.echo(f"Dashboard: set a password and second factor within 72 hours at {link}", err=True)


@users_app.command("list")
def users_list() -> None:
    """List people: role, country, state, second factor (never a token or secret)."""
    from api.users import list_users

    settings = _settings()
    url = _need(settings.database_url, "ACIP_DATABASE_URL")
    for user in _run(lambda: _with_pool(url, list_users)):
        language = user.language or f"({settings.default_language})"
        factor = f" {user.second_factor}" if user.second_factor else ""
        country = user.country or "-"
        typer.echo(
            f"{user.name:24} {user.role.value:24} {country:4} {language:5} {user.status}{factor}"
        )


@users_app.command("language")
def users_language(
    name: str,
    language: str = typer.Argument(
        ..., help="en, fr, es, pt or ar; 'default' for the deployment's default"
    ),
) -> None:
    """Set the language a person reads the dashboard and their e-mails in."""
    from api.users import set_language

    settings = _settings()
    url = _need(settings.database_url, "ACIP_DATABASE_URL")
    wanted = None if language == "default" else language
    chosen = _run(lambda: _with_pool(url, lambda pool: set_language(pool, name, wanted)))
    typer.echo(f"{name} reads {chosen or settings.default_language}")


@users_app.command("revoke")
def users_revoke(name: str) -> None:
    """Deactivate a person at once: their sessions and tokens stop working."""
    from api.users import revoke_user

    settings = _settings()
    url = _need(settings.database_url, "ACIP_DATABASE_URL")
    _run(lambda: _with_store(url, lambda pool, store: revoke_user(pool, store, name)))
    typer.echo(f"revoked {name}")


@users_app.command("token")
def users_token(name: str) -> None:
    """Issue a new operator token for a person (the operator's old one stops working)."""
    from api.users import rotate_token

    settings = _settings()
    url = _need(settings.database_url, "ACIP_DATABASE_URL")
    typer.echo(_run(lambda: _with_store(url, lambda pool, store: rotate_token(pool, store, name))))


@users_app.command("reactivate")
def users_reactivate(name: str) -> None:
    """Give a revoked user access again and print their new token (shown once)."""
    from api.users import reactivate_user

    settings = _settings()
    url = _need(settings.database_url, "ACIP_DATABASE_URL")
    typer.echo(
        _run(lambda: _with_store(url, lambda pool, store: reactivate_user(pool, store, name)))
    )


@security_app.command("events")
def security_events(
    day: str = typer.Option("", "--day", help="UTC day, e.g. 2026-12-01; default today"),
) -> None:
    """The security record of one day: sign-ins, failures, second factors reset, tokens
    used from a new address (one line each, oldest first)."""
    from datetime import UTC, date, datetime

    from api.security_log import events_of_day

    try:
        wanted = date.fromisoformat(day) if day else datetime.now(UTC).date()
    except ValueError:
        raise CliError(f"--day {day!r} is not a date like 2026-12-01") from None
    url = _need(_settings().database_url, "ACIP_DATABASE_URL")
    events = _run(lambda: _with_store(url, lambda _, store: events_of_day(store, wanted)))
    for event in events:
        account = event.get("account") or event.get("login") or "-"
        typer.echo(f"{event['occurred_at']}  {event['type']:28} {account:24} {event['address']}")
    if not events:
        typer.echo(f"nothing recorded on {wanted.isoformat()}", err=True)


def _serve(process: Callable[[Settings], Awaitable[None]], *, temporal: bool) -> None:
    """Run one long-lived process of the stack on this environment's settings."""
    settings = _settings()
    _need(settings.database_url, "ACIP_DATABASE_URL")
    if temporal:
        _need(settings.temporal_address, "ACIP_TEMPORAL_ADDRESS")
    _run(lambda: process(settings))


async def _with_pool(url: str, action: Callable[..., Awaitable[T]]) -> T:
    from workers.db import create_pool

    pool = await create_pool(url, max_size=2)
    try:
        return await action(pool)
    finally:
        await pool.close()


async def _with_store(url: str, action: Callable[..., Awaitable[T]]) -> T:
    """``action(pool, store)``: the event store is built here, once, on the command's pool."""
    from eventstore import PostgresEventStore

    return await _with_pool(url, lambda pool: action(pool, PostgresEventStore(pool)))


def _register_optional_apps() -> None:
    # Sub-apps of other components, registered when present.
    for module_name, attribute, name in (
        ("workers.cli_projections", "projections_app", "projections"),
        ("workers.cli_audit", "audit_app", "audit"),
        ("workers.cli_report", "report_app", "report"),
    ):
        try:
            module = __import__(module_name, fromlist=[attribute])
        except ModuleNotFoundError:
            continue
        app.add_typer(getattr(module, attribute), name=name)
    from workers.cli_client import register
    from workers.cli_results import register as register_results
    from workers.cli_witness import register as register_witness

    register(app)
    register_results(app)
    register_witness(app)


_register_optional_apps()


def _user_message(error: BaseException) -> str | None:
    from api.users import UserError

    if isinstance(error, CliError | UserError):
        return str(error)
    if isinstance(error, OSError | ConnectionError):
        return f"cannot connect: {error}"
    return None


def main() -> None:
    """Entry point: a clear line and a non-zero status on errors, and always os._exit.

    temporalio's native runtime can abort the interpreter at exit (sdk-python issue 300),
    so the status is flushed and the process leaves through os._exit.
    """
    status = 0
    try:
        # Standalone mode: typer (which vendors its own click) prints usage errors itself
        # and leaves through SystemExit with click's codes (2 for bad usage).
        app()
    except SystemExit as done:
        status = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except KeyboardInterrupt:
        status = 130
    except Exception as error:
        message = _user_message(error)
        if message is None:
            if os.environ.get("ACIP_DEBUG"):
                import traceback

                traceback.print_exc()
            message = f"unexpected error: {error.__class__.__name__}: {error}"
        print(f"acip: {message}", file=sys.stderr)
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
