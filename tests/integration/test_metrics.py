"""Metrics: each process serves ours on its own port, the worker Temporal's SDK metrics as
well; the projector's lag is measured from the database and every append is timed. (Traces
are tests/integration/test_telemetry.py.)"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from temporalio.runtime import Runtime
from temporalio.testing import WorkflowEnvironment

from eventstore import ConcurrencyError, NewEvent, PostgresEventStore
from tests.support.polling import eventually
from workers import metrics
from workers.settings import Settings
from workers.temporal import build_worker, connect_client


def free_port_block(size: int) -> int:
    """A base port with ``size`` free ports from it (checked, not reserved)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + size >= 65535:
            continue
        try:
            for port in range(base, base + size):
                with socket.socket() as taken:
                    taken.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no block of free ports")


@pytest.fixture
def metrics_settings() -> Iterator[Settings]:
    settings = Settings(metrics_port=free_port_block(4), api_host="127.0.0.1")
    yield settings
    metrics.stop_metrics()


def sample(name: str, **labels: str) -> float | None:
    return metrics.REGISTRY.get_sample_value(name, labels)


def test_recording_while_metrics_are_off_changes_nothing() -> None:
    metrics.start_metrics(Settings(metrics_port=0), "api")
    assert not metrics.enabled()
    before = sample("acip_commands_total", outcome="refused", rule="four_eyes", command="x")
    metrics.record_command("refused", "four_eyes", command="x")
    metrics.observe_append_seconds(0.01)
    assert sample("acip_commands_total", outcome="refused", rule="four_eyes", command="x") == before


async def test_each_process_serves_our_metrics_at_its_own_port(metrics_settings: Settings) -> None:
    metrics.start_metrics(metrics_settings, "projector")
    assert metrics.enabled()
    port = metrics_settings.metrics_port + metrics.PORT_OFFSETS["projector"]
    metrics.record_command("accepted", None, command="open_plan")
    metrics.record_command("refused", "four_eyes", command="approve_plan")
    metrics.observe_append_seconds(0.004)
    metrics.set_projector_lag(3, 1.5)
    async with httpx.AsyncClient() as http:
        body = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    assert 'acip_commands_total{command="open_plan",outcome="accepted",rule=""}' in body
    assert 'acip_commands_total{command="approve_plan",outcome="refused",rule="four_eyes"}' in body
    assert 'acip_append_seconds_bucket{le="0.005"}' in body
    assert "acip_projector_lag_events 3.0" in body
    assert "acip_projector_lag_seconds 1.5" in body
    assert "process_cpu_seconds_total" in body


@pytest.fixture
def restore_default_runtime() -> Iterator[None]:
    previous = Runtime.default()
    yield
    Runtime.set_default(previous, error_if_already_set=False)


async def test_the_worker_also_serves_temporal_sdk_metrics(
    metrics_settings: Settings,
    restore_default_runtime: None,
    dev_env: WorkflowEnvironment,
    task_queue: str,
    pool: asyncpg.Pool,
) -> None:
    previous = Runtime.default()
    metrics.start_metrics(metrics_settings, "worker")
    assert Runtime.default() is not previous
    # Connected after start_metrics, as run_worker does: the client reports to the new runtime.
    client = await connect_client(
        dev_env.client.service_client.config.target_host, dev_env.client.namespace
    )
    async with build_worker(client, task_queue, pool, store=PostgresEventStore(pool)):
        await client.count_workflows()
    port = metrics_settings.metrics_port + metrics.TEMPORAL_SDK_PORT_OFFSET
    async with httpx.AsyncClient() as http:
        body = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    assert "temporal_request" in body
    assert f'task_queue="{task_queue}"' in body


async def test_projector_lag_is_measured_from_the_database(
    metrics_settings: Settings, pool: asyncpg.Pool, store: PostgresEventStore
) -> None:
    await store.append(
        f"lag-test-{uuid.uuid4()}",
        0,
        [NewEvent(event_id=uuid.uuid4(), type="probe", data={}, occurred_at=datetime.now(UTC))],
    )
    checkpoint = await pool.fetchval(
        "SELECT position FROM projection_checkpoints WHERE name = 'plans'"
    )
    expected = await pool.fetchval(
        "SELECT count(*) FROM events WHERE global_position > $1", checkpoint
    )
    behind, age = await metrics.measure_projector_lag(pool, store, "plans")
    assert behind == expected >= 1  # no projector runs in this module's database
    assert age >= 0
    with pytest.raises(LookupError):
        await metrics.measure_projector_lag(pool, store, "no-such-projection")

    metrics.start_metrics(metrics_settings, "projector")
    sampler = asyncio.create_task(metrics.sample_projector_lag(pool, store, "plans", interval=0.05))

    async def lag_sampled() -> float | None:
        return sample("acip_projector_lag_events")

    try:
        await eventually(
            lag_sampled, until=lambda lag: lag == behind, within=5, what="the lag sampled"
        )
    finally:
        sampler.cancel()
    lag_seconds = sample("acip_projector_lag_seconds")
    assert lag_seconds is not None and lag_seconds >= age


async def test_the_worker_store_times_each_append(
    metrics_settings: Settings, pool: asyncpg.Pool
) -> None:
    store = metrics.TimedEventStore(pool)
    # Any process enables the histogram; "worker" would also swap Temporal's runtime.
    metrics.start_metrics(metrics_settings, "projector")
    before = sample("acip_append_seconds_count") or 0.0
    stream = f"timed-{uuid.uuid4()}"
    probe = NewEvent(event_id=uuid.uuid4(), type="probe", data={}, occurred_at=datetime.now(UTC))
    result = await store.append(stream, 0, [probe])
    assert result.version == 1
    with pytest.raises(ConcurrencyError):  # a refused append is timed as well
        await store.append(stream, 0, [probe.model_copy(update={"event_id": uuid.uuid4()})])
    assert sample("acip_append_seconds_count") == before + 2
