"""Traces and metrics, end to end: an HTTP command through Temporal, the workflow, the append
activity and its SQL share one trace; the Prometheus endpoints serve what we record.

OpenTelemetry's global tracer provider can be set once per process. The session installs one
(through ``configure_telemetry``, as the processes do) with a span processor that keeps spans
only while a test captures; every other test in the session runs with tracing on and nothing
kept.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from temporalio.client import Client, Interceptor
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import ApiContext
from api.users import add_user
from domain import Role
from eventstore import ConcurrencyError, NewEvent, PostgresEventStore
from projections.projector import Projector
from tests.support.ids import unique_plan_id
from tests.support.plans import Lifecycle
from tests.support.polling import eventually
from workers import metrics
from workers.settings import Settings
from workers.telemetry import (
    configure_telemetry,
    event_trace_context,
    instrument_app,
    otlp_traces_url,
)
from workers.temporal import build_worker, connect_client
from workflows.tracing import CommandTracingInterceptor


class Capture(SpanProcessor):
    """Keeps finished spans in memory, but only inside ``capturing()``."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self._active = False

    def on_start(self, span: object, parent_context: Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        if self._active:
            self.exporter.export([span])

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    @contextmanager
    def capturing(self) -> Iterator[InMemorySpanExporter]:
        self.exporter.clear()
        self._active = True
        try:
            yield self.exporter
        finally:
            self._active = False


@pytest.fixture(scope="session")
def capture() -> Capture:
    processor = Capture()
    configure_telemetry(Settings(otel_exporter="none"), "test", processors=[processor])
    return processor


def plan_body(plan_id: str) -> dict[str, Any]:
    return Lifecycle.for_plan(plan_id).open_body()


async def client_with(dev_env: WorkflowEnvironment, interceptor: Interceptor) -> Client:
    return await Client.connect(
        dev_env.client.service_client.config.target_host,
        namespace=dev_env.client.namespace,
        data_converter=pydantic_data_converter,
        interceptors=[interceptor],
    )


@pytest.fixture
async def manager_token(pool: asyncpg.Pool) -> str:
    return await add_user(pool, f"pm-{uuid.uuid4().hex[:8]}", Role.PROGRAMME_MANAGER, None, None)


@contextmanager
def api(
    pool: asyncpg.Pool, client: Client, task_queue: str, token: str
) -> Iterator[httpx.AsyncClient]:
    context = ApiContext(
        pool=pool, store=PostgresEventStore(pool), temporal=client, task_queue=task_queue
    )
    app = create_app(context)
    instrument_app(app)
    yield httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://acip.test",
        headers={"Authorization": f"Bearer {token}"},
    )


def one(spans: Sequence[ReadableSpan], name: str) -> ReadableSpan:
    found = [span for span in spans if span.name == name]
    assert len(found) == 1, f"{name}: {len(found)} spans among {sorted(s.name for s in spans)}"
    return found[0]


def ancestors(span: ReadableSpan, spans: Sequence[ReadableSpan]) -> list[str]:
    """Names from the span's parent up to its root, following parent span ids."""
    by_id = {s.context.span_id: s for s in spans}
    names = []
    parent = span.parent
    while parent is not None and parent.span_id in by_id:
        above = by_id[parent.span_id]
        names.append(above.name)
        parent = above.parent
    return names


def queries_under(activity: ReadableSpan, spans: Sequence[ReadableSpan]) -> list[ReadableSpan]:
    return [
        span
        for span in spans
        if span.kind == SpanKind.CLIENT
        and span.attributes
        and span.attributes.get("db.system") == "postgresql"
        and activity.name in ancestors(span, spans)
    ]


async def test_open_plan_is_one_trace_from_request_to_sql(
    capture: Capture,
    dev_env: WorkflowEnvironment,
    task_queue: str,
    pool: asyncpg.Pool,
    store: PostgresEventStore,
    manager_token: str,
) -> None:
    # The processes' own wiring: connect_client puts the interceptor on the client, and
    # build_worker is given none, so the worker's spans prove the client's carry over.
    client = await connect_client(
        dev_env.client.service_client.config.target_host, dev_env.client.namespace
    )
    plan_id = unique_plan_id()
    async with build_worker(client, task_queue, pool, store=PostgresEventStore(pool)):
        with api(pool, client, task_queue, manager_token) as http, capture.capturing() as spans:
            response = await http.post("/plans", json=plan_body(plan_id))
            assert response.status_code == 201, response.text
            finished = spans.get_finished_spans()

    request = one(finished, "POST /plans")
    assert request.kind == SpanKind.SERVER
    trace_id = request.context.trace_id
    client_span = one(finished, "StartUpdateWithStartWorkflow:PlanWorkflow")
    handler = one(finished, "HandleUpdate:command")
    activity = one(finished, "RunActivity:append_events")
    queries = queries_under(activity, finished)

    for span in (client_span, handler, activity, *queries):
        assert span.context.trace_id == trace_id, span.name
    assert "POST /plans" in ancestors(client_span, finished)
    assert ancestors(activity, finished)[:1] == ["StartActivity:append_events"]
    assert "POST /plans" in ancestors(activity, finished)
    assert queries, "the append ran no traced query"

    # The workflow wrote the request's trace id into the event, for the projector to follow.
    (opened,) = await store.read_stream(f"plan-{plan_id}")
    assert opened.metadata["trace_id"] == format(trace_id, "032x")
    assert opened.metadata["span_id"] is not None
    assert event_trace_context(opened.metadata) is not None

    # ... and the projector's handling of that event lands in the same trace.
    with capture.capturing() as spans:
        await Projector(pool, store).catch_up()
        projected = [
            span
            for span in spans.get_finished_spans()
            if span.name == "project plans" and span.context.trace_id == trace_id
        ]
    assert projected, "the projector's batch did not join the request's trace"
    assert projected[0].parent is not None
    assert projected[0].parent.span_id == int(opened.metadata["span_id"], 16)


async def test_a_later_command_is_handled_inside_its_own_request_trace(
    capture: Capture,
    dev_env: WorkflowEnvironment,
    task_queue: str,
    pool: asyncpg.Pool,
    manager_token: str,
) -> None:
    client = await client_with(dev_env, CommandTracingInterceptor())
    plan_id = unique_plan_id()
    async with build_worker(client, task_queue, pool, store=PostgresEventStore(pool)):
        with api(pool, client, task_queue, manager_token) as http:
            with capture.capturing() as spans:
                assert (await http.post("/plans", json=plan_body(plan_id))).status_code == 201
                open_trace = one(spans.get_finished_spans(), "POST /plans").context.trace_id
            with capture.capturing() as spans:
                response = await http.post(
                    f"/plans/{plan_id}/commands",
                    json={
                        "type": "record_diagnostic_finding",
                        "key_factor": "transparency",
                        "maturity": 2,
                        "summary": "Tariff rulings are not published",
                    },
                )
                assert response.status_code == 200, response.text
                finished = spans.get_finished_spans()

    request = one(finished, "POST /plans/{plan_id}/commands")
    trace_id = request.context.trace_id
    assert trace_id != open_trace
    validator = one(finished, "ValidateUpdate:command")
    handler = one(finished, "HandleUpdate:command")
    activity = one(finished, "RunActivity:append_events")
    queries = queries_under(activity, finished)
    assert queries
    for span in (validator, handler, activity, *queries):
        assert span.context.trace_id == trace_id, span.name
    # The SDK records workflow-side spans as siblings under the update's client span.
    assert ancestors(handler, finished)[:1] == ["StartWorkflowUpdate:command"]
    assert ancestors(activity, finished)[:2] == [
        "StartActivity:append_events",
        "StartWorkflowUpdate:command",
    ]
    # ... and linked to the workflow's own trace, which the open_plan request started.
    assert [link.context.trace_id for link in handler.links] == [open_trace]


async def test_the_stock_interceptor_files_later_commands_under_the_opening_request(
    capture: Capture,
    dev_env: WorkflowEnvironment,
    task_queue: str,
    pool: asyncpg.Pool,
    manager_token: str,
) -> None:
    """Why CommandTracingInterceptor exists; if this starts failing, the SDK changed and the
    subclass may no longer be needed."""
    client = await client_with(dev_env, TracingInterceptor())
    plan_id = unique_plan_id()
    async with build_worker(client, task_queue, pool, store=PostgresEventStore(pool)):
        with api(pool, client, task_queue, manager_token) as http:
            with capture.capturing() as spans:
                assert (await http.post("/plans", json=plan_body(plan_id))).status_code == 201
                open_trace = one(spans.get_finished_spans(), "POST /plans").context.trace_id
            with capture.capturing() as spans:
                response = await http.post(
                    f"/plans/{plan_id}/commands",
                    json={"type": "cancel_plan", "reason": "Test of trace placement"},
                )
                assert response.status_code == 200, response.text
                finished = spans.get_finished_spans()

    request_trace = one(finished, "POST /plans/{plan_id}/commands").context.trace_id
    handler = one(finished, "HandleUpdate:command")
    assert handler.context.trace_id == open_trace != request_trace
    assert [link.context.trace_id for link in handler.links] == [request_trace]


def test_otlp_endpoint_takes_a_base_or_a_full_url() -> None:
    assert otlp_traces_url("") is None
    assert otlp_traces_url("http://collector:4318") == "http://collector:4318/v1/traces"
    assert otlp_traces_url("http://collector:4318/") == "http://collector:4318/v1/traces"
    assert otlp_traces_url("https://otlp.example/v1/traces") == "https://otlp.example/v1/traces"


def test_an_event_without_a_trace_id_has_no_parent_context() -> None:
    assert event_trace_context({"trace_id": None}) is None
    assert event_trace_context({}) is None
    assert event_trace_context({"trace_id": "not hex"}) is None
    exact = event_trace_context({"trace_id": "ab" * 16, "span_id": "cd" * 8})
    assert exact is not None
    parent = trace.get_current_span(exact).get_span_context()
    assert (parent.trace_id, parent.span_id) == (int("ab" * 16, 16), int("cd" * 8, 16))


# --- metrics -------------------------------------------------------------------------------


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
