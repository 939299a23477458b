"""Traces, end to end: an HTTP command through Temporal, the workflow, the append
activity and its SQL share one trace. (Metrics are tests/integration/test_metrics.py.)

OpenTelemetry's global tracer provider can be set once per process. The session installs one
(through ``configure_telemetry``, as the processes do) with a span processor that keeps spans
only while a test captures; every other test in the session runs with tracing on and nothing
kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
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
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import ApiContext
from api.users import add_user
from domain import Role
from eventstore import PostgresEventStore
from projections.projector import Projector
from tests.support.ids import unique_plan_id
from tests.support.plans import Lifecycle
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
async def manager_token(pool: asyncpg.Pool, store: PostgresEventStore) -> str:
    return await add_user(
        pool, store, f"pm-{uuid.uuid4().hex[:8]}", Role.PROGRAMME_MANAGER, None, None
    )


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


Traced = tuple[int, Sequence[ReadableSpan]]


@pytest.fixture
def opened_then_sent(
    capture: Capture,
    dev_env: WorkflowEnvironment,
    task_queue: str,
    pool: asyncpg.Pool,
    manager_token: str,
) -> Callable[[Interceptor, dict[str, Any]], Awaitable[Traced]]:
    """Open a new plan, then send it a command: two requests over HTTP through a client with
    the given interceptor. Gives the opening request's trace id, and the spans that finished
    while the command was handled."""

    async def run(interceptor: Interceptor, command: dict[str, Any]) -> Traced:
        client = await client_with(dev_env, interceptor)
        plan_id = unique_plan_id()
        async with build_worker(client, task_queue, pool, store=PostgresEventStore(pool)):
            with api(pool, client, task_queue, manager_token) as http:
                with capture.capturing() as spans:
                    opening = await http.post("/plans", json=plan_body(plan_id))
                    assert opening.status_code == 201, opening.text
                    open_trace = one(spans.get_finished_spans(), "POST /plans").context.trace_id
                with capture.capturing() as spans:
                    response = await http.post(f"/plans/{plan_id}/commands", json=command)
                    assert response.status_code == 200, response.text
                    return open_trace, spans.get_finished_spans()

    return run


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
    opened_then_sent: Callable[[Interceptor, dict[str, Any]], Awaitable[Traced]],
) -> None:
    finding = {
        "type": "record_diagnostic_finding",
        "key_factor": "transparency",
        "maturity": 2,
        "summary": "Tariff rulings are not published",
    }
    open_trace, finished = await opened_then_sent(CommandTracingInterceptor(), finding)

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
    opened_then_sent: Callable[[Interceptor, dict[str, Any]], Awaitable[Traced]],
) -> None:
    """Why CommandTracingInterceptor exists; if this starts failing, the SDK changed and the
    subclass may no longer be needed."""
    cancel = {"type": "cancel_plan", "reason": "Test of trace placement"}
    open_trace, finished = await opened_then_sent(TracingInterceptor(), cancel)

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
