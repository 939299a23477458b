"""``eventually()``: the one way a test waits for something that happens in the background.

A hand-written poll loop tends to forget the deadline, or to give up without failing, or to
fail saying only "timed out". This one always has a deadline and, when it fails, says what
it was waiting for and what it saw last (the last value, or the last exception raised).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

_NOTHING_SEEN = object()


class NeverHappenedError(AssertionError):
    """The condition did not hold before the deadline."""


def _truthy(value: object) -> bool:
    return bool(value)


async def eventually(
    probe: Callable[[], Awaitable[T]],
    *,
    what: str,
    until: Callable[[T], bool] = _truthy,
    within: float = 10.0,
    interval: float = 0.05,
) -> T:
    """Await ``probe()`` until ``until(value)`` holds; return that value.

    An exception from ``probe`` counts as "not yet" (a server still starting, an assertion
    inside the probe), so a probe may assert. After ``within`` seconds this raises
    ``NeverHappenedError`` naming ``what``, the last value seen and, chained, the last exception.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    last_value: object = _NOTHING_SEEN
    last_error: Exception | None = None
    while True:
        try:
            value = await probe()
        except Exception as error:
            last_error = error
        else:
            if until(value):
                return value
            last_value, last_error = value, None
        if loop.time() >= deadline:
            seen = (
                f"last raised {last_error!r}"
                if last_error is not None
                else "never answered"
                if last_value is _NOTHING_SEEN
                else f"last saw {last_value!r}"
            )
            raise NeverHappenedError(f"{what}: not within {within:g} s; {seen}") from last_error
        await asyncio.sleep(interval)


def eventually_blocking(
    probe: Callable[[], T],
    *,
    what: str,
    until: Callable[[T], bool] = _truthy,
    within: float = 10.0,
    interval: float = 0.2,
) -> T:
    """``eventually()`` for a synchronous test or fixture (no event loop running): the same
    loop on a private event loop, leaving the thread's current loop (pytest-asyncio's) alone."""

    async def probe_now() -> T:
        return probe()

    async def run() -> T:
        return await eventually(probe_now, what=what, until=until, within=within, interval=interval)

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(run())
    finally:
        loop.close()
