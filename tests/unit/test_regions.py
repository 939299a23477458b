"""The WCO region table: real alpha-3 codes, each member in one region, names translated."""

from __future__ import annotations

import pycountry

from domain.countries import is_country_code
from domain.regions import REGION_MEMBERS, Region, region_countries, region_of
from locales.catalogs import COMPLETE_LANGUAGES, gettext_in
from locales.terms import REGION_NAMES, term


def test_every_member_is_an_assigned_alpha3_code_in_one_region() -> None:
    seen: dict[str, Region] = {}
    for region, members in REGION_MEMBERS.items():
        for code in members:
            assert pycountry.countries.get(alpha_3=code) is not None, code
            assert is_country_code(code), code
            assert code not in seen, f"{code} in {seen.get(code)} and {region}"
            seen[code] = region
    # The WCO has 186 members; Kosovo and the European Union have no ISO 3166-1 code.
    assert 180 <= len(seen) <= 186
    assert set(REGION_MEMBERS) == set(Region)


def test_region_of_and_its_countries() -> None:
    assert region_of("GHA") is Region.WEST_AND_CENTRAL_AFRICA
    assert region_of("KEN") is Region.EAST_AND_SOUTHERN_AFRICA
    # The WCO's West and Central Africa region (23 members in 2020) counts the DRC and
    # Equatorial Guinea; Djibouti, Mauritania and Sudan are in the MENA region.
    assert region_of("COD") is Region.WEST_AND_CENTRAL_AFRICA
    assert region_of("GNQ") is Region.WEST_AND_CENTRAL_AFRICA
    assert len(REGION_MEMBERS[Region.WEST_AND_CENTRAL_AFRICA]) == 23
    for code in ("DJI", "MRT", "SDN"):
        assert region_of(code) is Region.NORTH_OF_AFRICA_NEAR_AND_MIDDLE_EAST, code
    assert region_of("IRN") is Region.ASIA_PACIFIC
    assert region_of("ISR") is Region.EUROPE
    assert region_of("ATA") is None  # Antarctica: no customs administration
    assert region_countries(Region.EUROPE) == sorted(REGION_MEMBERS[Region.EUROPE])


def test_region_names_are_translated_in_every_complete_language() -> None:
    assert set(REGION_NAMES) == {r.value for r in Region}
    for language in COMPLETE_LANGUAGES:
        if language == "en":
            continue
        for region in Region:
            assert term(region.value, language) == gettext_in(language, REGION_NAMES[region])
            assert term(region.value, language) != REGION_NAMES[region] or region is Region.EUROPE
    assert term("europe", "es") == "Europa"
