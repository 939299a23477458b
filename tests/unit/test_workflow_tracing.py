"""Pins the private temporalio names workflows/tracing.py leans on.

CommandTracingInterceptor reuses the SDK's own span helpers instead of copying them. If an
SDK upgrade renames or reshapes one of them, the interceptor would fail inside the workflow
sandbox at the first traced update; this test fails first, at the upgrade, naming the part.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version

from temporalio.contrib.opentelemetry import TracingWorkflowInboundInterceptor
from temporalio.contrib.opentelemetry import _context as sdk_context

from workflows.tracing import CommandTracingInterceptor, _CommandTracingWorkflowInbound

# The SDK versions the private names below were checked against (pyproject allows >=1.35,<2).
CHECKED_MAJOR_MINOR = {"1.35"}


def _parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_the_installed_sdk_is_a_version_the_private_names_were_checked_against() -> None:
    installed = ".".join(version("temporalio").split(".")[:2])
    assert installed in CHECKED_MAJOR_MINOR, (
        f"temporalio {version('temporalio')}: re-check workflows/tracing.py's private names "
        "(this file lists them), then add the version here"
    )


def test_attached_context_is_a_context_manager_over_an_otel_context() -> None:
    assert _parameters(sdk_context.attached_context) == ["context"]


def test_the_inbound_interceptor_helpers_keep_their_shape() -> None:
    inbound = TracingWorkflowInboundInterceptor
    assert _parameters(inbound._completed_span)[:2] == ["self", "span_name"]
    assert {"link_context_carrier", "kind"} <= set(_parameters(inbound._completed_span))
    assert _parameters(inbound._load_workflow_context_carrier) == ["self"]
    assert _parameters(inbound._set_on_context)[:2] == ["self", "context"]
    # Attributes the interceptor's __init__ sets and _caller_context reads.
    assigned = set(inbound.__init__.__code__.co_names)
    assert {"header_key", "payload_converter", "text_map_propagator"} <= assigned
    for public in ("handle_update_validator", "handle_update_handler"):
        assert _parameters(getattr(inbound, public)) == ["self", "input"]


def test_the_interceptor_installs_our_inbound_class() -> None:
    assert issubclass(_CommandTracingWorkflowInbound, TracingWorkflowInboundInterceptor)
    assert inspect.signature(CommandTracingInterceptor.workflow_interceptor_class)
