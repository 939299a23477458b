"""Notifications as plans recorded before the outbox delivered them: awaited one by one in
the timer path, retried without limit. Kept only so those histories still replay (the
``notification-outbox-v1`` patch in workflows/plan.py); new runs use workflows/outbox.py.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from contracts.temporal import DELIVER_NOTIFICATION, NotificationInput, NotificationResult


async def deliver_inline(notifications: list[NotificationInput]) -> None:
    for notification in notifications:
        await workflow.execute_activity(
            DELIVER_NOTIFICATION,
            notification,
            result_type=NotificationResult,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)),
        )
