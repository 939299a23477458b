"""The API's parameter bounds and request ids, without a server: pure functions."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from api.bounds import AS_OF_PATTERN, EARLIEST_INSTANT, LATEST_INSTANT, parse_instant
from api.errors import ApiError, short_stack
from api.request_context import MAX_REQUEST_ID_LENGTH, request_id_from


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2026-03-01T12:00:00", datetime(2026, 3, 1, 12, tzinfo=UTC)),
        ("2026-03-01T12:00:00+02:00", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-03-01T12:00:00Z", datetime(2026, 3, 1, 12, tzinfo=UTC)),
        # The edges of the calendar, whose offset pushes them past what datetime holds.
        ("0001-01-01T00:00:00+14:00", EARLIEST_INSTANT),
        ("0001-01-01", EARLIEST_INSTANT),
        ("9999-12-31T23:59:59-12:00", LATEST_INSTANT),
        ("9999-12-31T23:59:59.999999-23:59", LATEST_INSTANT),
        ("9999-12-31", LATEST_INSTANT),
        ("9999-12-31T23:59:59+14:00", datetime(9999, 12, 31, 9, 59, 59, tzinfo=UTC)),
        ("1969-12-31T23:59:59Z", EARLIEST_INSTANT),
    ],
)
def test_an_instant_is_utc_and_clamped_to_the_calendar(text: str, expected: datetime) -> None:
    assert re.fullmatch(AS_OF_PATTERN, text)
    assert parse_instant(text) == expected


@pytest.mark.parametrize("text", ["2026-13-01", "2026-02-30", "2026-02-01T25:00", "x" * 41])
def test_an_impossible_instant_is_a_422_naming_as_of(text: str) -> None:
    with pytest.raises(ApiError) as refused:
        parse_instant(text)
    assert refused.value.status == 422
    assert refused.value.body()["details"][0]["field"] == "as_of"
    assert refused.value.message.startswith("as_of: ")


def test_a_sane_request_id_is_kept_anything_else_replaced() -> None:
    assert request_id_from(b"req-2026.01:abc_D") == "req-2026.01:abc_D"
    fresh = {
        request_id_from(header)
        for header in (
            None,
            b"",
            b"has space",
            b'quote"d',
            b"a" * (MAX_REQUEST_ID_LENGTH + 1),
            "caf\u00e9".encode(),
            b"\xff\xfe",
            b"line\nbreak",
        )
    }
    assert len(fresh) == 8
    assert all(re.fullmatch("[0-9a-f]{32}", value) for value in fresh)
    assert request_id_from(b"a" * MAX_REQUEST_ID_LENGTH) == "a" * MAX_REQUEST_ID_LENGTH


def test_a_short_stack_names_frames_without_locals() -> None:
    def fail(secret: str) -> None:
        raise RuntimeError("boom")

    try:
        fail("hunter2")
    except RuntimeError as error:
        stack = short_stack(error)
    assert stack[-1].startswith("test_api_bounds.py:") and stack[-1].endswith(" in fail")
    assert not any("hunter2" in line for line in stack)
