"""The baseline for bench.lifecycle: a bare Temporal workflow whose every update runs one
no-op activity. It lives in its own module because workflows defined in __main__ fail the
sandbox's validation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bench_noop")
async def noop(n: int) -> int:
    return n


@workflow.defn
class BareWorkflow:
    def __init__(self) -> None:
        self._count = 0
        self._done = False
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self._done)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._count

    @workflow.update
    async def step(self, last: bool) -> int:
        async with self._lock:
            await workflow.execute_activity(
                noop, self._count, start_to_close_timeout=timedelta(seconds=10)
            )
            self._count += 1
            self._done = last
            return self._count
