"""OpenTelemetry traces for every process: one trace from the HTTP request through the Temporal
update, the workflow, the append activity and its SQL, to the projector's handling of the event.

Temporal's part comes from ``workflows.tracing.CommandTracingInterceptor`` (the SDK's
``TracingInterceptor`` with one change for a long-lived workflow per plan) on the client
(workers/temporal.py); a ``Worker`` built from that client takes the client's interceptors
that are also worker interceptors, so the worker needs nothing more. This module chooses the
exporter and instruments asyncpg and FastAPI.
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
    """Trace each request to ``app``.

    Also while tracing is off (no provider): spans are then non-recording and cost next to
    nothing, yet a caller's W3C ``traceparent`` still becomes the current trace, so the
    events its request causes carry its ``trace_id`` and ``span_id``.

    Per app rather than global: ``FastAPIInstrumentor().instrument()`` swaps the
    ``fastapi.FastAPI`` class, which misses apps whose module imported it first (ours do).
    """
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
