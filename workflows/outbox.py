"""The plan's notification outbox: deliveries run beside the timer loop, never inside it.

The timer loop appends its events and puts the reminders and escalations here; a delivery
loop of its own sends them. While the mail server is down only this loop waits: each round
is one ``deliver_notification`` activity with bounded retries; a round that still fails is
tried again later with backoff (an hour, doubling, at most a day apart), a bounded number
of times, then given up (its records stay ``failed`` in the notifications table). The
activity is idempotent per (event, recipient), so a round repeated after a failure or after
continue-as-new never sends an e-mail twice. The queue crosses continue-as-new.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from contracts.temporal import (
        DELIVER_NOTIFICATION,
        NotificationInput,
        NotificationResult,
        QueuedNotification,
    )

DELIVERY_TIMEOUT = timedelta(seconds=60)
# One round: a few quick tries (a relay restarting), then the round fails.
DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=3,
)
FIRST_REDELIVERY = timedelta(hours=1)
MAX_REDELIVERY_GAP = timedelta(days=1)
# 1 h, 2 h, ... 16 h, then daily: 14 rounds span about ten days of outage.
MAX_DELIVERY_ROUNDS = 14
MAX_ERROR_LENGTH = 300


def redelivery_delay(failed_rounds: int) -> timedelta:
    return min(FIRST_REDELIVERY * 2 ** (failed_rounds - 1), MAX_REDELIVERY_GAP)


class NotificationOutbox:
    def __init__(self, plan_id: str, queue: list[QueuedNotification]) -> None:
        self._plan_id = plan_id
        self.queue = list(queue)
        self._added = False
        self._failures = workflow.metric_meter().create_counter(
            "acip_notification_rounds_failed",
            "Notification delivery rounds that failed (SMTP down or refusing)",
        )

    def put(self, notification: NotificationInput) -> None:
        self.queue.append(QueuedNotification(notification=notification))
        self._added = True

    def failing(self) -> int:
        return sum(1 for item in self.queue if item.failed_rounds)

    def first_rounds_done(self) -> bool:
        """Nothing waits for its first try (the plan ends only after these)."""
        return all(item.failed_rounds for item in self.queue)

    async def run(self) -> None:
        """Deliver forever; started once per run, cancelled when the run ends."""
        while True:
            now = workflow.now()
            ready = next((i for i in self.queue if i.retry_at is None or i.retry_at <= now), None)
            if ready is None:
                retries = [i.retry_at for i in self.queue if i.retry_at is not None]
                limit = max(min(retries) - now, timedelta(0)) if retries else None
                self._added = False
                await _wait(lambda: self._added, limit)
                continue
            await self._deliver(ready)

    async def _deliver(self, item: QueuedNotification) -> None:
        event_id = str(item.notification.event.event_id)
        try:
            await workflow.execute_activity(
                DELIVER_NOTIFICATION,
                item.notification,
                result_type=NotificationResult,
                start_to_close_timeout=DELIVERY_TIMEOUT,
                retry_policy=DELIVERY_RETRY,
            )
        except Exception as error:
            # ActivityError when the round failed; anything else is a bug here, and must not
            # end this loop (it would silently stop every later delivery of the plan).
            cause = error.cause if isinstance(error, ActivityError) else None
            item.failed_rounds += 1
            item.last_error = str(cause or error)[:MAX_ERROR_LENGTH]
            self._failures.add(1)
            if item.failed_rounds >= MAX_DELIVERY_ROUNDS:
                workflow.logger.error(
                    "notification given up after %d rounds (records stay failed)",
                    item.failed_rounds,
                    extra={"plan_id": self._plan_id, "event_id": event_id},
                )
                self._drop(item)
                return
            item.retry_at = workflow.now() + redelivery_delay(item.failed_rounds)
            workflow.logger.warning(
                "notification not delivered; retrying at %s: %s",
                item.retry_at.isoformat(),
                item.last_error,
                extra={"plan_id": self._plan_id, "event_id": event_id},
            )
            return
        self._drop(item)

    def _drop(self, item: QueuedNotification) -> None:
        # By identity: two queued items may be equal field by field.
        self.queue = [queued for queued in self.queue if queued is not item]


async def _wait(condition: Callable[[], bool], limit: timedelta | None) -> bool:
    try:
        await workflow.wait_condition(condition, timeout=limit)
    except TimeoutError:
        return False
    return True
