"""How a plan's timer path is doing: failures counted, shown and retried with backoff.

The timer path (next deadline, due events, their append) must never stop a plan; when it
raises, PlanWorkflow records the failure here and waits until ``retry_at`` (or a command)
before trying again. Runs inside the workflow: time from ``workflow.now()`` only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contracts.temporal import PlanWorkflowStatus

# After a failure in the timer path: first retry, doubling up to a day.
TIMER_RETRY_FIRST = timedelta(minutes=10)
TIMER_RETRY_MAX = timedelta(days=1)
MAX_ERROR_LENGTH = 500


class TimerHealth:
    def __init__(self, plan_id: str) -> None:
        self._plan_id = plan_id
        self.status = PlanWorkflowStatus(plan_id=plan_id)
        self._failures = workflow.metric_meter().create_counter(
            "acip_plan_timer_failures", "Failures in a plan's timer path (retried with backoff)"
        )

    @property
    def retry_at(self) -> datetime | None:
        return self.status.timer_retry_at

    def retrying(self) -> None:
        """A retry starts now: if it finds nothing due, the path has recovered too."""
        self.status = self.status.model_copy(update={"timer_retry_at": None})

    def failed(self, error: Exception) -> None:
        failures = self.status.timer_failures + 1
        now = workflow.now()
        retry_at = now + min(TIMER_RETRY_FIRST * 2 ** (failures - 1), TIMER_RETRY_MAX)
        cause = getattr(error, "cause", None) or error  # an ActivityError names its cause
        message = f"{type(cause).__name__}: {cause}"[:MAX_ERROR_LENGTH]
        workflow.logger.error(
            "timer path failed (%d in a row); retrying at %s: %s",
            failures,
            retry_at.isoformat(),
            message,
            extra={"plan_id": self._plan_id},
        )
        self._failures.add(1)
        self.status = self.status.model_copy(
            update={
                "timer_failures": failures,
                "timer_error": message,
                "timer_failing_since": self.status.timer_failing_since or now,
                "timer_retry_at": retry_at,
            }
        )

    def recovered(self) -> None:
        if self.status.timer_failures:
            workflow.logger.info("timer path recovered", extra={"plan_id": self._plan_id})
            self.status = PlanWorkflowStatus(plan_id=self._plan_id)
