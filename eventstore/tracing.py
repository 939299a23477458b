"""The trace of the command that produced an event, rebuilt from the event's metadata.

Event metadata carries the W3C ``trace_id`` and ``span_id`` of the request that sent the
command, so whoever handles the event later (the projector) can put its work in the same
trace as the HTTP request, the Temporal update and the append.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanContext, TraceFlags


def event_trace_context(metadata: Mapping[str, Any]) -> otel_context.Context | None:
    """A context whose parent is the trace of the command that produced an event.

    For the projector: ``tracer.start_as_current_span(..., context=event_trace_context(md))``
    puts its handling of an event into the command's trace. Event metadata carries
    ``trace_id`` (and ``span_id`` where the workflow records it). Without a span id the parent
    is a stand-in made from the trace id, which trace back ends show as a missing parent
    inside the right trace; with it, the span hangs under the exact span that caused it.
    Returns None when the event has no valid trace id (tracing off, or a timer's event).
    """
    try:
        trace_id = int(str(metadata.get("trace_id") or ""), 16)
    except ValueError:
        return None
    if trace_id == 0:
        return None
    try:
        span_id = int(str(metadata.get("span_id") or ""), 16)
    except ValueError:
        span_id = 0
    if span_id == 0:
        span_id = (trace_id & 0xFFFF_FFFF_FFFF_FFFF) or 1
    parent = SpanContext(
        trace_id=trace_id,
        span_id=span_id,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    return trace.set_span_in_context(trace.NonRecordingSpan(parent))
