"""Plan ids no other test of the session uses.

Every test module shares one Temporal server per session, where a workflow id (and so a
plan id, ``<country>-<year>``) can be opened once. Ids here are real ISO 3166-1 alpha-3
codes (the domain refuses made-up ones) and years 2000-2075 (a plan period of at most 15
years then ends by 2090, far from the calendar's edges). They come from a counter, not from
randomness, so a session hands out the same ids in the same order every run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pycountry

from workers.demo_plans import DEMO_PLANS

COUNTRIES: tuple[str, ...] = tuple(sorted(country.alpha_3 for country in pycountry.countries))
FIRST_YEAR = 2000
LAST_YEAR = 2075
YEARS: tuple[int, ...] = tuple(range(FIRST_YEAR, LAST_YEAR + 1))

# Seeded by tests that run the demo (tests/e2e/served_stack.py) on the shared server.
_issued: set[str] = set(DEMO_PLANS)


def _any_year() -> Iterator[str]:
    # 249 countries and 76 years have no common factor, so stepping both by one visits every
    # (country, year) pair once before repeating: country and year both change on each call.
    for n in range(len(COUNTRIES) * len(YEARS)):
        yield f"{COUNTRIES[n % len(COUNTRIES)]}-{YEARS[n % len(YEARS)]}"


_any_year_ids = _any_year()
# One rotation of countries for every year: ids drawn for different years (a plan of this
# year and one of last year) have different countries too, so their people (named after the
# country: ``abw.focal``) do not collide.
_next_country = 0


def _of_year(year: int) -> Iterator[str]:
    global _next_country
    for _ in range(len(COUNTRIES)):
        country = COUNTRIES[_next_country % len(COUNTRIES)]
        _next_country += 1
        yield f"{country}-{year}"


def unique_plan_id(*, year: int | None = None) -> str:
    """A plan id unused so far in this session.

    Pass ``year`` when the test's dates depend on it (a plan that must be running today on a
    server whose clock is real); otherwise both the country and the year vary.
    """
    if year is None:
        candidates: Iterator[str] = _any_year_ids
    else:
        candidates = _of_year(year)
    for plan_id in candidates:
        if plan_id not in _issued:
            _issued.add(plan_id)
            return plan_id
    raise LookupError(f"every plan id{'' if year is None else f' of {year}'} is taken")


def unique_country(*, year: int) -> str:
    """The country of a fresh plan id for ``year``: for tests that name the id themselves."""
    return country_of(unique_plan_id(year=year))


def country_of(plan_id: str) -> str:
    return plan_id.split("-", 1)[0]


def year_of(plan_id: str) -> int:
    return int(plan_id.split("-", 1)[1])
