"""The tracing interceptor of PlanWorkflow: the SDK's ``TracingInterceptor`` with each update
handled inside its caller's trace.

It lives beside the workflows because half of it runs in the workflow sandbox. It leans on
private names of ``temporalio.contrib.opentelemetry`` (``attached_context``, and the inbound
interceptor's ``_completed_span``, ``_load_workflow_context_carrier``, ``_set_on_context``);
tests/unit/test_workflow_tracing.py pins them against the installed SDK so an upgrade that
renames them fails loudly there, not silently in production traces.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.trace import SpanKind
from temporalio import worker as temporal_worker
from temporalio.contrib.opentelemetry import TracingInterceptor, TracingWorkflowInboundInterceptor

# Private, but it is the SDK's own attach/detach that survives workflow eviction; reusing it
# keeps our workflow-side spans exactly as robust as the stock ones.
from temporalio.contrib.opentelemetry._context import attached_context


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
