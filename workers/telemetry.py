"""OpenTelemetry traces for every process: one trace from the HTTP request through the Temporal
update, the workflow, the append activity and its SQL, to the projector's handling of the event.

Temporal's part comes from the SDK's ``TracingInterceptor`` on the client (workers/temporal.py);
a ``Worker`` built from that client takes the client's interceptors that are also worker
interceptors (temporalio/worker/_worker.py prepends them), so the worker needs nothing more.
``CommandTracingInterceptor`` below is that interceptor with one change for a long-lived
workflow per plan; see its docstring. This module also chooses the exporter and instruments
asyncpg and FastAPI.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.util.types import Attributes
from temporalio import worker as temporal_worker
from temporalio.contrib.opentelemetry import TracingInterceptor, TracingWorkflowInboundInterceptor

# Private, but it is the SDK's own attach/detach that survives workflow eviction; reusing it
# keeps our workflow-side spans exactly as robust as the stock ones.
from temporalio.contrib.opentelemetry._context import attached_context

from eventstore.tracing import event_trace_context
from workers.settings import Settings

__all__ = ["event_trace_context"]

SERVICE_PREFIX = "acip"
# Health checks run every few seconds from compose and load balancers: a trace each is noise.
EXCLUDED_URLS = "healthz,metrics"

_lock = threading.Lock()
_configured = False


class DropOrphanQueries(Sampler):
    """Root sampler: no trace of its own for a database query that runs outside any span.

    The projector's polling, the pool's connection set-up and the worker's notification
    look-ups run outside a request or an activity; traced alone, each would be a one-span
    trace every few hundred milliseconds, drowning the traces that tell a story. Queries inside
    a request, an activity or a projector batch have a parent and are kept by ``ParentBased``.
    """

    def should_sample(
        self,
        parent_context: otel_context.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        if kind == SpanKind.CLIENT and attributes and "db.system" in attributes:
            return SamplingResult(Decision.DROP)
        if kind == SpanKind.CLIENT and attributes and "db.system.name" in attributes:
            return SamplingResult(Decision.DROP)
        return ALWAYS_ON.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return "DropOrphanQueries"


def otlp_traces_url(endpoint: str) -> str | None:
    """``ACIP_OTLP_ENDPOINT`` may be the collector's base URL or the full traces URL.

    The http/protobuf exporter takes the full URL; a bare ``http://collector:4318`` gets
    ``/v1/traces`` appended, as the OTLP specification does for OTEL_EXPORTER_OTLP_ENDPOINT.
    Empty leaves the exporter's own default (OTEL_EXPORTER_OTLP_* or localhost:4318).
    """
    if not endpoint:
        return None
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else f"{endpoint}/v1/traces"


def _exporter(settings: Settings) -> SpanExporter | None:
    if settings.otel_exporter == "console":
        return ConsoleSpanExporter()
    if settings.otel_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=otlp_traces_url(settings.otlp_endpoint))
    return None


def _resource(service_name: str) -> Resource:
    from importlib.metadata import PackageNotFoundError, version

    try:
        service_version = version("acip")
    except PackageNotFoundError:  # running from a source tree that is not installed
        service_version = "unknown"
    return Resource.create(
        {
            "service.name": f"{SERVICE_PREFIX}-{service_name}",
            "service.namespace": SERVICE_PREFIX,
            "service.version": service_version,
            # Several replicas of one service: the instance tells them apart.
            "service.instance.id": f"{socket.gethostname()}-{os.getpid()}",
        }
    )


def configure_telemetry(
    settings: Settings,
    service_name: str,
    *,
    processors: Sequence[SpanProcessor] = (),
) -> None:
    """Install the process's tracer provider and instrument asyncpg; once per process.

    ``ACIP_OTEL_EXPORTER=none`` (the default) installs nothing, so tracing costs nothing:
    the API's no-op tracer makes invalid spans, and no trace id reaches logs or event metadata.
    ``processors`` are added beside the exporter (tests pass an in-memory exporter here);
    given any, a provider is installed even when the exporter is ``none``.

    OpenTelemetry lets a process set its global provider once: a second call only adds its
    ``processors`` to the provider already installed.
    """
    global _configured
    exporter = _exporter(settings)
    if exporter is None and not processors:
        return
    with _lock:
        if _configured:
            _add_to_installed(processors)
            return
        provider = TracerProvider(
            resource=_resource(service_name), sampler=ParentBased(root=DropOrphanQueries())
        )
        if exporter is not None:
            provider.add_span_processor(BatchSpanProcessor(exporter))
        for processor in processors:
            provider.add_span_processor(processor)
        trace.set_tracer_provider(provider)
        if trace.get_tracer_provider() is not provider:
            # Someone installed a provider before us (a test harness, an agent's
            # auto-instrumentation); OpenTelemetry keeps the first, so join it.
            _add_to_installed(processors)
        _instrument_asyncpg()
        _configured = True


def _add_to_installed(processors: Sequence[SpanProcessor]) -> None:
    installed = trace.get_tracer_provider()
    if isinstance(installed, TracerProvider):
        for processor in processors:
            installed.add_span_processor(processor)


def _instrument_asyncpg() -> None:
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    # Patches asyncpg.Connection's query methods for every pool, present and future.
    # Parameters are not captured: they hold people's names and free text.
    instrumentor = AsyncPGInstrumentor(capture_parameters=False)
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()


def instrument_app(app: FastAPI) -> None:
    """Trace each request to ``app``; a no-op while tracing is off.

    Per app rather than global: ``FastAPIInstrumentor().instrument()`` swaps the
    ``fastapi.FastAPI`` class, which misses apps whose module imported it first (ours do).
    """
    if not _configured:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        excluded_urls=EXCLUDED_URLS,
        # The ASGI receive/send sub-spans double the span count and tell nothing here.
        exclude_spans=["receive", "send"],
    )


def shutdown_telemetry() -> None:
    """Flush spans still buffered; processes call it before ``os._exit``."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush(timeout_millis=5000)
        provider.shutdown()


class CommandTracingInterceptor(TracingInterceptor):
    """The SDK's ``TracingInterceptor``, with each update handled inside the caller's trace.

    The stock interceptor parents every workflow-side span, updates included, on the context
    that *started* the workflow and only links the update's caller. A plan's workflow is
    started by its ``open_plan`` request and lives for years, so every later command's
    validator, handler, append activity and SQL would pile into that first request's trace,
    and the request that caused them would hold nothing but its client span. Here an update
    that carries a trace context is validated and handled as a child of its caller (the API
    request), with a link back to the workflow's trace; everything else is unchanged.
    """

    def workflow_interceptor_class(
        self, input: temporal_worker.WorkflowInterceptorClassInput
    ) -> type[TracingWorkflowInboundInterceptor]:
        super().workflow_interceptor_class(input)  # registers the span extern function
        return _CommandTracingWorkflowInbound


class _CommandTracingWorkflowInbound(TracingWorkflowInboundInterceptor):
    """Runs inside the workflow sandbox: only deterministic calls, like its parent."""

    def _caller_context(
        self, input: temporal_worker.HandleUpdateInput
    ) -> otel_context.Context | None:
        header = input.headers.get(self.header_key)
        if not header:
            return None
        carrier = self.payload_converter.from_payloads([header])[0]
        if not carrier:
            return None
        return self._set_on_context(self.text_map_propagator.extract(carrier))

    def handle_update_validator(self, input: temporal_worker.HandleUpdateInput) -> None:
        context = self._caller_context(input)
        if context is None:
            super().handle_update_validator(input)
            return
        with attached_context(context):
            self._completed_span(
                f"ValidateUpdate:{input.update}",
                link_context_carrier=self._load_workflow_context_carrier(),
                kind=SpanKind.SERVER,
            )
            # Skip the parent's span (it would be a second one); call the next interceptor.
            temporal_worker.WorkflowInboundInterceptor.handle_update_validator(self, input)

    async def handle_update_handler(self, input: temporal_worker.HandleUpdateInput) -> Any:
        context = self._caller_context(input)
        if context is None:
            return await super().handle_update_handler(input)
        with attached_context(context):
            self._completed_span(
                f"HandleUpdate:{input.update}",
                link_context_carrier=self._load_workflow_context_carrier(),
                kind=SpanKind.SERVER,
            )
            return await temporal_worker.WorkflowInboundInterceptor.handle_update_handler(
                self, input
            )
