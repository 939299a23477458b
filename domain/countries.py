"""Countries as ISO 3166-1 alpha-3 codes, from pycountry's maintained copy of the standard.

A plan id starts with its country's code, so a made-up code would burn a plan id forever;
anything that accepts a country checks it here.
"""

from __future__ import annotations

import pycountry

from domain import errors as r
from domain.errors import DomainError

# Read when the module is imported, not on first use: decide() checks countries inside the
# Temporal workflow sandbox, where pycountry's lazy read of its data file (open()) is
# refused. domain/ is passed through the sandbox, so this import happens outside it.
_ALPHA3_CODES: frozenset[str] = frozenset(country.alpha_3 for country in pycountry.countries)


def country_codes() -> tuple[str, ...]:
    """Every assigned alpha-3 code, sorted (ABW, AFG, AGO, …)."""
    return tuple(sorted(_ALPHA3_CODES))


def is_country_code(code: str) -> bool:
    """True for an assigned ISO 3166-1 alpha-3 code (upper case), e.g. ``GHA``."""
    return code in _ALPHA3_CODES


def country_name(code: str) -> str:
    """The English short name of an assigned code, or the code itself when unknown."""
    country = pycountry.countries.get(alpha_3=code)
    return country.name if country is not None else code


def check_country(field: str, code: str) -> None:
    """Refuse (rule ``unknown_country``) a code that is not an assigned alpha-3 code."""
    if not is_country_code(code):
        raise DomainError(
            r.UNKNOWN_COUNTRY,
            f"{code} is not an ISO 3166-1 alpha-3 country code (e.g. GHA for Ghana).",
            {"field": field, "value": code},
        )
