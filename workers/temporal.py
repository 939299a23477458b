"""Temporal client and worker wiring, built at start-up and passed in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import asyncpg
from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.append import AppendActivities
from activities.notifications import NotificationActivities, SmtpSettings
from api.recipients import UserRecipientDirectory
from eventstore import EventStore
from workflows.plan import PlanWorkflow
from workflows.tracing import CommandTracingInterceptor

# Modules the sandbox must not re-import per workflow run: pure, deterministic, and slow
# to import (re-importing them on 2 busy cores can trip the deadlock detector).
PASSTHROUGH_MODULES = (
    "domain",
    "contracts",
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "structlog",
)


async def connect_client(
    address: str, namespace: str = "default", *, tracing: bool = True
) -> Client:
    # Each update is traced inside its caller's request, not the trace that opened the plan.
    interceptors: Sequence[Interceptor] = [CommandTracingInterceptor()] if tracing else []
    return await Client.connect(
        address,
        namespace=namespace,
        data_converter=pydantic_data_converter,
        interceptors=interceptors,
    )


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )


def build_worker(
    client: Client,
    task_queue: str,
    pool: asyncpg.Pool,
    *,
    store: EventStore,
    smtp: SmtpSettings | None = None,
    default_language: str = "en",
) -> Worker:
    # The store comes from the wiring (the worker process passes its timed one).
    appends = AppendActivities(store)
    # Recipients come from the api's user directory through the activities' port.
    notifications = NotificationActivities(
        pool, UserRecipientDirectory(pool), smtp, default_language=default_language
    )
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[PlanWorkflow],
        activities=[appends.append_events, notifications.deliver_notification],
        workflow_runner=workflow_runner(),
        # On SIGTERM, running activities get this long to finish before they are cancelled
        # (an append takes milliseconds; compose allows 30 s before it kills).
        graceful_shutdown_timeout=timedelta(seconds=20),
    )
