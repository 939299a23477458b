"""The long-running processes: worker, projector and API, each until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta

import structlog
import uvicorn

from activities.notifications import SmtpSettings
from api.app import create_app
from api.context import AccountSettings, ApiContext
from api.people import migrate_legacy_users
from api.sso import SsoSettings
from eventstore import PostgresEventStore
from workers.db import create_pool
from workers.metrics import (
    TimedEventStore,
    record_command,
    sample_projector_lag,
    start_metrics,
)
from workers.settings import Settings
from workers.tasks import cancel_and_wait
from workers.telemetry import configure_telemetry, instrument_app, shutdown_telemetry
from workers.temporal import build_worker, connect_client

log = structlog.get_logger(__name__)


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)


async def run_worker(settings: Settings) -> None:
    # Before the client connects: the Temporal SDK's metrics need the runtime replaced first.
    configure_telemetry(settings, "worker")
    start_metrics(settings, "worker")
    pool = await create_pool(settings.database_url)
    client = await connect_client(settings.temporal_address, settings.temporal_namespace)
    smtp = SmtpSettings.from_url(settings.smtp_url, settings.smtp_sender)
    worker = build_worker(
        client,
        settings.task_queue,
        pool,
        smtp=smtp,
        store=TimedEventStore(pool),
        default_language=settings.default_language,
    )
    stop = asyncio.Event()
    _stop_on_signals(stop)
    log.info("worker started", task_queue=settings.task_queue, smtp=bool(smtp))
    async with worker:
        await stop.wait()
        log.info("worker stopping")
    await pool.close()
    shutdown_telemetry()


async def run_projector(settings: Settings) -> None:
    from projections.projector import Projector

    configure_telemetry(settings, "projector")
    start_metrics(settings, "projector")
    pool = await create_pool(settings.database_url)
    store = PostgresEventStore(pool)
    projector = Projector(pool, store)
    stop = asyncio.Event()
    _stop_on_signals(stop)
    task = asyncio.create_task(projector.run())
    lag = asyncio.create_task(sample_projector_lag(pool, store, projector.name))
    log.info("projector started")
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    await cancel_and_wait(task, stopper, lag)
    if task in done and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]
    await pool.close()
    shutdown_telemetry()


def account_settings(settings: Settings) -> AccountSettings:
    return AccountSettings(
        public_url=settings.link_base_url,
        smtp=SmtpSettings.from_url(settings.smtp_url, settings.smtp_sender),
        second_factor_for_everyone=settings.second_factor_for_everyone,
        demo_waives_second_factor=settings.demo,
        token_sign_in=settings.dashboard_token_sign_in,
        sso=sso_settings(settings),
    )


def sso_settings(settings: Settings) -> SsoSettings | None:
    if not settings.oidc_issuer:
        return None
    return SsoSettings(
        issuer=settings.oidc_issuer,
        discovery_url=settings.oidc_discovery_url,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        display_name=settings.oidc_display_name,
        scopes=settings.oidc_scopes,
        recheck_every=timedelta(seconds=settings.oidc_recheck_seconds),
        link_invited_by_email=settings.oidc_link_invited_by_email,
    )


async def run_api(settings: Settings) -> None:
    configure_telemetry(settings, "api")
    start_metrics(settings, "api")
    pool = await create_pool(settings.database_url)
    store = PostgresEventStore(pool)
    # People made before accounts were streams get theirs (idempotent, so every API
    # process may run it at start-up).
    migrated = await migrate_legacy_users(pool, store)
    if migrated:
        log.info("users migrated into streams", users=migrated)
    client = await connect_client(settings.temporal_address, settings.temporal_namespace)
    app = create_app(
        ApiContext(
            pool=pool,
            store=store,
            temporal=client,
            task_queue=settings.task_queue,
            on_command=record_command,
            witness_url=settings.witness_url,
            witness_public_key=settings.witness_public_key,
            default_language=settings.default_language,
            accounts=account_settings(settings),
        )
    )
    instrument_app(app)
    config = uvicorn.Config(
        app,
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,  # our structlog set-up renders uvicorn's records too
        access_log=False,
        limit_concurrency=1000,
    )
    server = uvicorn.Server(config)
    log.info("api listening", url=f"http://{settings.api_host}:{settings.api_port}")
    await server.serve()
    await pool.close()
    shutdown_telemetry()
