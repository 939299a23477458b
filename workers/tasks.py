"""Stopping background tasks so that they really stop."""

from __future__ import annotations

import asyncio


async def cancel_and_wait(*tasks: asyncio.Task[object], every: float = 1.0) -> None:
    """Cancel ``tasks`` and return once each has ended, whatever it ended with.

    A task still running after ``every`` seconds is cancelled again: on Python 3.11,
    ``asyncio.wait_for`` (which asyncpg uses inside its calls) can swallow a cancellation
    that races with its inner result, and a loop that retries after errors, such as the
    projector's, would then run on forever and hang whoever waits for it.
    """
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=every)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log it as never retrieved
