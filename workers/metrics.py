"""Prometheus metrics: our own (commands, appends, projector lag) and the Temporal SDK's.

Each process serves its own endpoint when ``ACIP_METRICS_PORT`` > 0, at that port plus a fixed
offset per process, so the processes of `acip up` (one host, one environment) never collide
and every deployment finds the same process on the same port:

    api        ACIP_METRICS_PORT + 0   (9464 in docker-compose.yml)
    worker     ACIP_METRICS_PORT + 1   (9465)
    projector  ACIP_METRICS_PORT + 2   (9466)
    worker's Temporal SDK metrics      ACIP_METRICS_PORT + 3   (9467)

The Temporal SDK's metrics come from its Rust core, which serves them itself; they need the
process's default ``temporalio.runtime.Runtime`` replaced before the first client connects.

The recording functions are called on hot paths (every command, every append); while metrics
are off each is one module-global test and a return.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from datetime import datetime

import asyncpg
import structlog
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    start_http_server,
)

from eventstore import AppendResult, EventStore, ExpectedVersion, NewEvent, PostgresEventStore
from projections.checkpoints import read_checkpoint
from workers.settings import Settings

log = structlog.get_logger(__name__)

PORT_OFFSETS = {"api": 0, "worker": 1, "projector": 2}
TEMPORAL_SDK_PORT_OFFSET = 3

# Our own registry, not prometheus_client's global one: nothing a library registers by
# import lands on our endpoint unasked, and tests can read values without cross-talk.
REGISTRY = CollectorRegistry(auto_describe=True)
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(_collector)

COMMANDS = Counter(
    "acip_commands",
    "Commands answered by the API, by outcome (accepted, refused, failed) and refusal rule.",
    ["outcome", "rule", "command"],
    registry=REGISTRY,
)
APPEND_SECONDS = Histogram(
    "acip_append_seconds",
    "Time to append one batch of events to the event store (the append_events activity).",
    # An append is one short transaction: a millisecond on a quiet database, tens under
    # contention; the top buckets catch lock waits and a failing-over primary.
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)
PROJECTOR_LAG_EVENTS = Gauge(
    "acip_projector_lag_events",
    "Events stored but not yet folded into the read models (head position - checkpoint).",
    registry=REGISTRY,
)
PROJECTOR_LAG_SECONDS = Gauge(
    "acip_projector_lag_seconds",
    "Age of the oldest event not yet projected; 0 when the projector is caught up.",
    registry=REGISTRY,
)

_lock = threading.Lock()
_enabled = False
_servers: list[object] = []


def enabled() -> bool:
    return _enabled


def metrics_port(settings: Settings, process: str) -> int | None:
    """The port this process serves its metrics on, or None while metrics are off."""
    if settings.metrics_port <= 0:
        return None
    return settings.metrics_port + PORT_OFFSETS[process]


def temporal_sdk_metrics_port(settings: Settings) -> int | None:
    if settings.metrics_port <= 0:
        return None
    return settings.metrics_port + TEMPORAL_SDK_PORT_OFFSET


def start_metrics(settings: Settings, process: str) -> None:
    """Serve this process's metrics when ``ACIP_METRICS_PORT`` > 0; call at process start.

    For the worker, call it before the Temporal client connects: the SDK's metrics need the
    default runtime replaced first. A port that cannot be bound is logged, not fatal: a
    worker that runs without metrics is better than one that does not run.
    """
    global _enabled
    port = metrics_port(settings, process)
    if port is None:
        return
    with _lock:
        if _enabled:
            return
        try:
            server, _thread = start_http_server(port, addr=settings.api_host, registry=REGISTRY)
        except OSError as error:
            log.error("metrics endpoint not started", port=port, error=str(error))
            return
        _servers.append(server)
        _enabled = True
        log.info("metrics endpoint", url=f"http://{settings.api_host}:{port}/metrics")
    if process == "worker":
        _start_temporal_sdk_metrics(settings)


def _start_temporal_sdk_metrics(settings: Settings) -> None:
    from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

    port = temporal_sdk_metrics_port(settings)
    assert port is not None
    bind_address = f"{settings.api_host}:{port}"
    try:
        runtime = Runtime(
            telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address))
        )
    except Exception as error:  # the core reports a busy port as a generic RuntimeError
        log.error("Temporal SDK metrics not started", address=bind_address, error=str(error))
        return
    # Clients connected from now on (the worker's) report into this runtime.
    Runtime.set_default(runtime, error_if_already_set=False)
    log.info("Temporal SDK metrics endpoint", url=f"http://{bind_address}/metrics")


def stop_metrics() -> None:
    """Close our endpoint (tests; processes simply exit)."""
    global _enabled
    with _lock:
        for server in _servers:
            server.shutdown()  # type: ignore[attr-defined]
            server.server_close()  # type: ignore[attr-defined]
        _servers.clear()
        _enabled = False


def record_command(outcome: str, rule: str | None = None, command: str = "") -> None:
    """Count one command the API answered.

    ``outcome`` is ``accepted``, ``refused`` (a domain rule said no: pass the rule) or
    ``failed`` (Temporal or the database did not answer). ``command`` is the command type.
    Rules and command types are fixed sets in domain/, so the label sets stay small.
    """
    if not _enabled:
        return
    COMMANDS.labels(outcome=outcome, rule=rule or "", command=command).inc()


def observe_append_seconds(seconds: float) -> None:
    """Record one append's duration, measured around ``PostgresEventStore.append``."""
    if not _enabled:
        return
    APPEND_SECONDS.observe(seconds)


def set_projector_lag(events: int, seconds: float) -> None:
    """Set how far the projector is behind: events not yet projected, and the oldest's age."""
    if not _enabled:
        return
    PROJECTOR_LAG_EVENTS.set(events)
    PROJECTOR_LAG_SECONDS.set(seconds)


class TimedEventStore(PostgresEventStore):
    """The event store, with each append's duration recorded in ``acip_append_seconds``.

    Built by the worker process (workers/processes.py) and handed to the append activity,
    so activities/ and eventstore/ stay free of workers/ imports. Refused appends (version
    conflicts) are timed too: they cost the database the same round trip.
    """

    async def append(
        self, stream_id: str, expected_version: ExpectedVersion, events: Sequence[NewEvent]
    ) -> AppendResult:
        started = time.perf_counter()
        try:
            return await super().append(stream_id, expected_version, events)
        finally:
            observe_append_seconds(time.perf_counter() - started)


async def measure_projector_lag(
    pool: asyncpg.Pool, store: EventStore, projection: str = "plans"
) -> tuple[int, float]:
    """(events not yet projected, age in seconds of the oldest of them; 0 when caught up).

    The checkpoint from the read models' table, the rest from the store: the count includes
    events still held back behind an older transaction (committed, not yet readable), the
    age is the oldest readable one's, on the database's clock.
    """
    position = (await read_checkpoint(pool, projection)).position
    behind = await store.count_events(position)
    if behind == 0:
        return 0, 0.0
    oldest = await store.read_all(position, 1, max_wait=0)
    if not oldest:
        return behind, 0.0
    now: datetime = await pool.fetchval("SELECT clock_timestamp()")
    return behind, max((now - oldest[0].recorded_at).total_seconds(), 0.0)


async def sample_projector_lag(
    pool: asyncpg.Pool, store: EventStore, projection: str = "plans", interval: float = 10.0
) -> None:
    """Set the projector lag gauges every ``interval`` seconds, forever (cancel to stop).

    Measured from the database, not reported by the applying projector, so a projector that
    is stuck, or dead with no standby, shows a growing lag instead of its last good value.
    Standbys report the same numbers as the active one. Returns at once if metrics are off.
    """
    if not _enabled:
        return
    while True:
        try:
            set_projector_lag(*await measure_projector_lag(pool, store, projection))
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
            # The database is away: the projector itself reports that; keep the last values.
            log.warning("projector lag not measured", error=f"{type(error).__name__}: {error}")
        await asyncio.sleep(interval)
