"""``key_factor_statuses`` (the statuses alone, for the portfolio trend) gives what
``key_factor_status`` gives, after every event of two-year and ten-year histories made by
the domain's rules (measurements over the years, revised targets and period targets)."""

from __future__ import annotations

import pytest

from domain import BenchmarkStatus, PlanState, evolve
from domain.benchmarks import key_factor_status, key_factor_statuses
from domain.events import EVENT_SCHEMA_VERSIONS, parse_event
from testkit.long_history import long_plan_history
from testkit.synthetic import Append, plan_history


def _states(appends: list[Append]) -> list[PlanState]:
    states: list[PlanState] = []
    state = None
    for append in appends:
        for e in append.events:
            state = evolve(state, parse_event(e.type, e.data, EVENT_SCHEMA_VERSIONS[e.type]))
            states.append(state)
    return states


@pytest.mark.parametrize(
    "appends",
    [plan_history(i, seed=5) for i in range(12)]
    + [long_plan_history(i, seed=5, years=10) for i in range(2)],
)
def test_the_statuses_alone_are_those_of_the_benchmarks(appends: list[Append]) -> None:
    states = _states(appends)
    seen: set[BenchmarkStatus] = set()
    for state in states:
        statuses = key_factor_statuses(state)
        assert statuses == {kf: b.status for kf, b in key_factor_status(state).items()}
        assert list(statuses) == list(key_factor_status(state))
        seen.update(statuses.values())
    assert len(seen) > 1  # the histories reach more than one status
