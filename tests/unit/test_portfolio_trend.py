"""Quarter ends for the portfolio trend, and the donor scope of observers: pure."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from domain import Actor, Role, can_read
from projections.trend import as_of_instant, boundary, quarter_ends_between


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def test_a_quarter_end_is_fixed_by_the_first_event_at_or_after_its_boundary() -> None:
    assert boundary(date(2026, 3, 31)) == at(2026, 4, 1)
    assert as_of_instant(date(2026, 3, 31)) == at(2026, 3, 31, 23, 59, 59, 999999)
    # An event in the last microsecond of the quarter still belongs to it.
    assert list(quarter_ends_between(at(2026, 3, 1), at(2026, 3, 31, 23, 59, 59, 999999))) == []
    assert list(quarter_ends_between(at(2026, 3, 1), at(2026, 4, 1))) == [date(2026, 3, 31)]
    # The previous event recorded on the boundary itself: that quarter is already fixed.
    assert list(quarter_ends_between(at(2026, 4, 1), at(2026, 6, 1))) == []


def test_a_long_gap_fixes_every_quarter_end_in_it_in_order() -> None:
    assert list(quarter_ends_between(at(2025, 12, 31, 12), at(2027, 1, 1))) == [
        date(2025, 12, 31),
        date(2026, 3, 31),
        date(2026, 6, 30),
        date(2026, 9, 30),
        date(2026, 12, 31),
    ]


def test_an_observer_scoped_to_a_donor_reads_only_plans_that_donor_funds() -> None:
    norad = Actor(name="norad.observer", role=Role.OBSERVER, donor="norad")
    assert can_read(norad, "GHA", ["canada", "norad"])
    assert not can_read(norad, "GHA", ["canada"])
    # Donors unknown to the caller: closed by default.
    assert not can_read(norad, "GHA")
    both = Actor(name="gha.norad", role=Role.OBSERVER, country="GHA", donor="norad")
    assert can_read(both, "GHA", ["norad"]) and not can_read(both, "KEN", ["norad"])
    with pytest.raises(ValidationError, match="only an observer"):
        Actor(name="auditor", role=Role.AUDITOR, donor="norad")
