"""The WCO's six regions and the members in each, by ISO 3166-1 alpha-3 code (the code a
plan id starts with). Pure data: the names people read are translated at the edge
(locales.terms.REGION_NAMES).

The grouping is the WCO's own (each region elects a Vice-Chair to the Council), not the
UN's: Israel, Kazakhstan and the Central Asian members sit in Europe; the Islamic Republic
of Iran, Afghanistan and Pakistan in the Far East, South and South East Asia, Australasia
and the Pacific Islands; Djibouti, Mauritania and Sudan in the North of Africa, Near and
Middle East; the Democratic Republic of the Congo and Equatorial Guinea in West and Central
Africa (the WCO newsroom: the region's Conference of Directors General met in Kinshasa in
2011 and 2015, presided by the DRC's Director General, and the DRC was named one of the
region's Policy Commission members; the region had 23 members in 2020, as here).

Two members have no ISO 3166-1 code and so can hold no plan: Kosovo (Europe) and the
European Union (a customs union, in Europe). A country that is not a WCO member has no
region: its plans show when no region filter is set, and under none of the regions.
"""

from __future__ import annotations

from enum import StrEnum


class Region(StrEnum):
    EAST_AND_SOUTHERN_AFRICA = "east_and_southern_africa"
    WEST_AND_CENTRAL_AFRICA = "west_and_central_africa"
    NORTH_OF_AFRICA_NEAR_AND_MIDDLE_EAST = "north_of_africa_near_and_middle_east"
    EUROPE = "europe"
    AMERICAS_AND_THE_CARIBBEAN = "americas_and_the_caribbean"
    ASIA_PACIFIC = "asia_pacific"


# fmt: off
REGION_MEMBERS: dict[Region, frozenset[str]] = {
    Region.EAST_AND_SOUTHERN_AFRICA: frozenset({
        "AGO", "BDI", "BWA", "COM", "ERI", "ETH", "KEN", "LSO", "MDG", "MOZ", "MUS", "MWI",
        "NAM", "RWA", "SOM", "SSD", "SWZ", "SYC", "TZA", "UGA", "ZAF", "ZMB", "ZWE",
    }),
    Region.WEST_AND_CENTRAL_AFRICA: frozenset({
        "BEN", "BFA", "CAF", "CIV", "CMR", "COD", "COG", "CPV", "GAB", "GHA", "GIN", "GMB",
        "GNB", "GNQ", "LBR", "MLI", "NER", "NGA", "SEN", "SLE", "STP", "TCD", "TGO",
    }),
    Region.NORTH_OF_AFRICA_NEAR_AND_MIDDLE_EAST: frozenset({
        "ARE", "BHR", "DJI", "DZA", "EGY", "IRQ", "JOR", "KWT", "LBN", "LBY", "MAR", "MRT",
        "OMN", "PSE", "QAT", "SAU", "SDN", "SYR", "TUN", "YEM",
    }),
    Region.EUROPE: frozenset({
        "ALB", "AND", "ARM", "AUT", "AZE", "BEL", "BGR", "BIH", "BLR", "CHE", "CYP", "CZE",
        "DEU", "DNK", "ESP", "EST", "FIN", "FRA", "GBR", "GEO", "GRC", "HRV", "HUN", "IRL",
        "ISL", "ISR", "ITA", "KAZ", "KGZ", "LTU", "LUX", "LVA", "MDA", "MKD", "MLT", "MNE",
        "NLD", "NOR", "POL", "PRT", "ROU", "RUS", "SRB", "SVK", "SVN", "SWE", "TJK", "TKM",
        "TUR", "UKR", "UZB",
    }),
    Region.AMERICAS_AND_THE_CARIBBEAN: frozenset({
        "ARG", "BHS", "BLZ", "BMU", "BOL", "BRA", "BRB", "CAN", "CHL", "COL", "CRI", "CUB",
        "CUW", "DOM", "ECU", "GTM", "GUY", "HND", "HTI", "JAM", "LCA", "MEX", "NIC", "PAN",
        "PER", "PRY", "SLV", "TTO", "URY", "USA", "VEN",
    }),
    Region.ASIA_PACIFIC: frozenset({
        "AFG", "AUS", "BGD", "BRN", "BTN", "CHN", "FJI", "HKG", "IDN", "IND", "IRN", "JPN",
        "KHM", "KOR", "LAO", "LKA", "MAC", "MDV", "MMR", "MNG", "MYS", "NPL", "NZL", "PAK",
        "PHL", "PLW", "PNG", "SGP", "SLB", "THA", "TLS", "TON", "VNM", "VUT", "WSM",
    }),
}
# fmt: on

_REGION_OF: dict[str, Region] = {
    code: region for region, members in REGION_MEMBERS.items() for code in members
}


def region_of(country: str) -> Region | None:
    """The WCO region of a member's alpha-3 code; None for a country that is not a member."""
    return _REGION_OF.get(country)


def region_countries(region: Region) -> list[str]:
    """The region's members' codes, sorted (a query's ``country = ANY(...)``)."""
    return sorted(REGION_MEMBERS[region])
