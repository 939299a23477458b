"""Two Hypothesis profiles: ``repeatable`` for CI and ``explore`` for hunting new cases.

``repeatable`` (the default) is derandomized: the same examples on every run, so
`make test` cannot go red on a new draw. ``explore`` draws new examples on every run, ten
times as many per test, and prints the reproduction blob of a failure; `make explore` runs
it (nightly, or on demand). Select one with HYPOTHESIS_PROFILE=<name>.

A test that sets its own ``max_examples`` passes it through ``examples(n)``, so exploring
scales it too; a test never sets ``derandomize`` itself.
"""

from __future__ import annotations

import os

from hypothesis import settings

REPEATABLE = "repeatable"
EXPLORE = "explore"
EXPLORE_FACTOR = 10

settings.register_profile(REPEATABLE, derandomize=True)
settings.register_profile(
    EXPLORE,
    derandomize=False,
    max_examples=100 * EXPLORE_FACTOR,  # Hypothesis draws 100 by default
    print_blob=True,
)


def active_profile() -> str:
    return os.environ.get("HYPOTHESIS_PROFILE", REPEATABLE)


def load() -> None:
    settings.load_profile(active_profile())


def examples(count: int) -> int:
    """``count`` examples in CI; EXPLORE_FACTOR times as many when exploring."""
    return count * EXPLORE_FACTOR if active_profile() == EXPLORE else count
