"""Every parameter a request can carry, with its type and range, in one place.

Routes and dashboard pages declare their query, path and header parameters with these types,
so a new route gets the bound by using the type, and the OpenAPI document states it (it is
derived from the same declarations). Out of range is a 422 naming the parameter (see
api.errors), before anything reaches PostgreSQL: an integer beyond what its column holds
once turned into a 500 after seconds of error rendering.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Annotated

from fastapi import Header, Path, Query

from api.errors import ApiError
from domain.commands import DONOR_PATTERN
from domain.regions import Region

# PostgreSQL's `integer`: the widest value a version, an offset or a limit is compared with.
MAX_SQL_INTEGER = 2**31 - 1
MAX_PAGE = 500
MAX_EVENTS_PAGE = 5000

PLAN_ID_PATTERN = "^[A-Z]{3}-[0-9]{4}$"
COUNTRY_PATTERN = "^[A-Z]{3}$"
# ISO 8601 as the replay takes it: a calendar date, or a date and time with an optional
# fraction and UTC offset. The pattern keeps out what no parser should see; the calendar
# itself (month 13, February 30) is checked by parse_instant.
AS_OF_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$"
)

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size (1-{MAX_PAGE})")]
EventsLimit = Annotated[
    int, Query(ge=1, le=MAX_EVENTS_PAGE, description=f"Events per page (1-{MAX_EVENTS_PAGE})")
]
Offset = Annotated[
    int, Query(ge=0, le=MAX_SQL_INTEGER, description=f"Items to skip (0-{MAX_SQL_INTEGER})")
]
AfterVersion = Annotated[
    int,
    Query(ge=0, le=MAX_SQL_INTEGER, description="Only events after this version (0: all)"),
]
AsOfVersion = Annotated[
    int | None,
    Query(ge=1, le=MAX_SQL_INTEGER, description="Replay the plan up to this version"),
]
AsOf = Annotated[
    str | None,
    Query(
        max_length=40,
        pattern=AS_OF_PATTERN,
        description=(
            "Replay the plan as of a date (the end of that UTC day, e.g. 2026-06-30) or an "
            "ISO 8601 instant (UTC without an offset). After now: the current state; before "
            "the plan existed: 404."
        ),
        examples=["2026-06-30", "2026-06-30T12:00:00Z"],
    ),
]
PlanId = Annotated[
    str,
    Path(
        pattern=PLAN_ID_PATTERN,
        max_length=8,
        description="`<ISO 3166-1 alpha-3 country>-<year of period_start>`, e.g. GHA-2026",
    ),
]
PlanIdFilter = Annotated[
    str | None,
    Query(pattern=PLAN_ID_PATTERN, max_length=8, description="Only this plan, e.g. GHA-2026"),
]
CountryFilter = Annotated[
    str | None,
    Query(pattern=COUNTRY_PATTERN, max_length=3, description="ISO 3166-1 alpha-3, e.g. GHA"),
]
DonorFilter = Annotated[
    str | None,
    Query(
        pattern=DONOR_PATTERN, max_length=32, description="Only plans this donor funds, e.g. norad"
    ),
]
RegionFilter = Annotated[
    Region | None,
    Query(description="Only plans of this WCO region's members, e.g. west_and_central_africa"),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=200,
        description="Makes a retry safe: the same key returns the first result, appends nothing.",
    ),
]

# Bounds of the instants a replay may be asked about: nothing was recorded before the Unix
# epoch, and datetime cannot go past year 9999 (an offset near either edge overflows it).
EARLIEST_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime.max.replace(tzinfo=UTC)


def invalid_as_of(message: str) -> ApiError:
    return ApiError(
        422,
        "invalid_request",
        f"as_of: {message}",
        details=[{"field": "as_of", "message": message}],
    )


def end_of_day(day: date) -> datetime:
    """A date as an instant: everything recorded during that UTC day is included."""
    if day == date.max:
        return LATEST_INSTANT
    return datetime.combine(day + timedelta(days=1), dtime.min, UTC) - timedelta(microseconds=1)


def parse_instant(value: str) -> datetime:
    """``2026-05-01`` (the end of that UTC day) or an ISO 8601 instant (UTC if no offset),
    in UTC and within [EARLIEST_INSTANT, LATEST_INSTANT]: an instant at the edge of the
    calendar whose offset pushes it past year 1 or 9999 is clamped, not an error, because
    "as of the end of time" and "as of the beginning" still have answers (the current state;
    no plan yet)."""
    if len(value) > 40:
        raise invalid_as_of("at most 40 characters")
    try:
        if len(value) == 10:
            return max(end_of_day(date.fromisoformat(value)), EARLIEST_INSTANT)
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise invalid_as_of("expected a date (2026-05-01) or an ISO 8601 instant") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    try:
        in_utc = instant.astimezone(UTC)
    except OverflowError:
        # Only the offset can push a valid datetime out of range: west of UTC past the end.
        in_utc = LATEST_INSTANT if instant.year == datetime.max.year else EARLIEST_INSTANT
    return min(max(in_utc, EARLIEST_INSTANT), LATEST_INSTANT)
