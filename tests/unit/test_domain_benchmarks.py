"""The benchmark formula at each status boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain import (
    BenchmarkStatus,
    IndicatorState,
    KeyFactor,
    Measurement,
    indicator_status,
    key_factor_status,
)
from domain.benchmarks import worst_status
from tests.unit.domain_builders import FP, PM, T0, cmd, implementation, run

START = date(2026, 1, 1)
END = START + timedelta(days=100)  # so "n days in" is expected n/100
REC = datetime(2026, 6, 1, tzinfo=UTC)


def indicator(
    *values: tuple[float, int], baseline: float = 0.0, target: float = 100.0
) -> IndicatorState:
    """Measurements as (value, days after START), recorded in the given order."""
    return IndicatorState(
        indicator_id="I1",
        name="n",
        key_factor=KeyFactor.TRANSPARENCY,
        unit="%",
        baseline=baseline,
        target=target,
        original_target=target,
        measurements=[
            Measurement(
                value=v,
                measured_on=START + timedelta(days=n),
                recorded_at=REC + timedelta(seconds=i),
            )
            for i, (v, n) in enumerate(values)
        ],
    )


@pytest.mark.parametrize(
    ("value", "days", "status"),
    [
        (40, 50, "on_track"),  # gap exactly 0.10
        (39, 50, "at_risk"),  # gap 0.11
        (25, 50, "at_risk"),  # gap exactly 0.25
        (24, 50, "off_track"),  # gap 0.26
        (70, 80, "on_track"),  # 0.8 - 0.7 is 0.10000000000000009 in floating point
        (30, 55, "at_risk"),  # 0.55 - 0.3 is 0.25000000000000006 in floating point
        (100, 100, "achieved"),  # progress exactly 1
        (99.999, 0, "on_track"),  # just short of the target, ahead of time
        (120, 100, "achieved"),  # beyond the target
        (0, 0, "on_track"),  # nothing expected yet
        (0, 11, "at_risk"),
        (0, 26, "off_track"),
    ],
)
def test_status_boundaries(value: float, days: int, status: str) -> None:
    result = indicator_status(indicator((value, days)), START, END)
    assert result.status == status
    assert result.progress == pytest.approx(value / 100)
    assert result.expected == pytest.approx(days / 100)
    assert result.gap == pytest.approx(days / 100 - value / 100)


def test_no_data() -> None:
    result = indicator_status(indicator(), START, END)
    assert result.status == BenchmarkStatus.NO_DATA
    assert (result.progress, result.expected, result.gap, result.latest_value) == (None,) * 4


def test_decreasing_indicator() -> None:
    # Fewer complaints is better: baseline 50, target 10, now 30 -> half way.
    result = indicator_status(indicator((30, 50), baseline=50, target=10), START, END)
    assert result.progress == pytest.approx(0.5)
    assert result.status == "on_track"


def test_expected_is_clamped() -> None:
    before = indicator_status(indicator((0, -30)), START, END)
    after = indicator_status(indicator((50, 300)), START, END)
    assert before.expected == 0.0
    assert after.expected == 1.0
    assert after.status == "off_track"


def test_latest_by_measured_on_then_by_recording() -> None:
    # A late-recorded older measurement does not hide the newer one.
    result = indicator_status(indicator((60, 50), (10, 20)), START, END)
    assert (result.latest_value, result.latest_measured_on) == (60, START + timedelta(days=50))
    # Same measured_on: the later recording (a correction) wins.
    result = indicator_status(indicator((10, 50), (45, 50)), START, END)
    assert result.latest_value == 45


def test_revised_target_keeps_original_visible() -> None:
    state = implementation()
    state, _ = run(
        state, cmd("revise_indicator_target", indicator_id="I1", new_target=30, reason="r"), PM
    )
    state, _ = run(
        state,
        cmd("record_measurement", indicator_id="I1", value=30, measured_on=T0.date().isoformat()),
        FP,
    )
    result = key_factor_status(state)[KeyFactor.TRANSPARENCY].indicators[0]
    assert (result.target, result.original_target, result.target_revised) == (30, 50, True)
    assert result.status == "achieved"


@pytest.mark.parametrize(
    ("statuses", "worst"),
    [
        (["achieved", "on_track", "no_data", "at_risk", "off_track"], "off_track"),
        (["achieved", "on_track", "no_data", "at_risk"], "at_risk"),
        (["achieved", "on_track", "no_data"], "no_data"),
        (["achieved", "on_track"], "on_track"),
        (["achieved"], "achieved"),
        ([], "not_covered"),
    ],
)
def test_worst_of(statuses: list[str], worst: str) -> None:
    assert worst_status([BenchmarkStatus(s) for s in statuses]) == worst


def test_key_factor_status_covers_all_ten() -> None:
    state = implementation()
    state, _ = run(state, cmd("complete_milestone", milestone_id="M1", evidence="e"), FP)
    result = key_factor_status(state)
    assert list(result) == list(KeyFactor)
    transparency = result[KeyFactor.TRANSPARENCY]
    assert transparency.status == "no_data"
    assert (
        transparency.milestones_total,
        transparency.milestones_completed,
        transparency.milestones_overdue,
    ) == (1, 1, 0)
    assert result[KeyFactor.AUTOMATION].status == "not_covered"
    assert result[KeyFactor.AUTOMATION].indicators == []


def test_overdue_milestones_are_counted() -> None:
    from domain import due_events, fold

    state = implementation()
    state = fold(due_events(state, datetime(2026, 8, 1, tzinfo=UTC)), state)  # type: ignore[assignment]
    assert state is not None
    assert key_factor_status(state)[KeyFactor.TRANSPARENCY].milestones_overdue == 1
