"""cancel_and_wait stops a task even when one cancellation is lost on the way."""

from __future__ import annotations

import asyncio

from workers.tasks import cancel_and_wait


async def test_a_task_that_loses_a_cancellation_is_stopped_by_the_next() -> None:
    cancellations = 0

    async def retries_after_errors() -> None:
        nonlocal cancellations
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancellations += 1
                if cancellations == 1:
                    # What asyncio.wait_for can do on Python 3.11: the cancellation is
                    # swallowed and the loop goes on as after any other error.
                    asyncio.current_task().uncancel()  # type: ignore[union-attr]
                    continue
                raise

    task = asyncio.create_task(retries_after_errors())
    await asyncio.sleep(0)
    await cancel_and_wait(task, every=0.05)
    assert task.cancelled()
    assert cancellations == 2


async def test_a_failed_task_is_waited_for_and_its_error_retrieved() -> None:
    async def fails() -> None:
        raise RuntimeError("boom")

    task = asyncio.create_task(fails())
    await asyncio.sleep(0)
    await cancel_and_wait(task)
    assert isinstance(task.exception(), RuntimeError)
