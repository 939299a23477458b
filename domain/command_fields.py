"""What a command's fields accept, and the base every command class shares.

The types here carry every check that needs no state (patterns, lengths, strict numbers, the
calendar's bounds in the schema), so malformed input fails at parse time with pydantic's
field-named error. The command classes are in domain.commands_lifecycle,
domain.commands_results and domain.commands_records; domain.commands gathers them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
)

from domain.calendar import EARLIEST_DATE, LATEST_DATE
from domain.roles import Role
from domain.state import IntegralNumber, Phase

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
COUNTRY_PATTERN = r"^[A-Z]{3}$"

# What the event store can keep exactly (eventstore/_prepare.py refuses the rest): text
# without NUL (PostgreSQL's jsonb has no U+0000) and numbers within JSON's exact range.
EXACT_NUMBER_LIMIT = float(2**53)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain the NUL character (U+0000)")
    return value


NoNul = AfterValidator(_no_nul)


def _four_digit_year(value: date) -> date:
    # The plan id is <country>-<year of period_start>, e.g. GHA-2026: four digits.
    if value.year < 1000:
        raise ValueError("must be in year 1000 or later (the plan id carries a four-digit year)")
    return value


# What the schema says beyond the types, so that a body the OpenAPI document calls valid is
# refused only by a business rule (issue 18). The patterns restate checks made in code (the
# NUL character, text that is only whitespace, the calendar of domain.calendar) and do not
# replace them: the messages of those checks name the rule.
CALENDAR_DATE_PATTERN = (
    r"^(1[0-9]{3}|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|9990)-[0-9]{2}-[0-9]{2}$"
)
CALENDAR_DATE_DESCRIPTION = (
    f"ISO 8601 calendar date between {EARLIEST_DATE} and {LATEST_DATE}: the dates whose "
    "deadlines a plan can compute (outside them: 409 date_out_of_range)"
)
TEXT_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"  # not only whitespace, no NUL
NO_NUL_PATTERN = r"^[^\x00]*$"

PlanDate = Annotated[
    date,
    Field(
        description=CALENDAR_DATE_DESCRIPTION,
        json_schema_extra={"pattern": CALENDAR_DATE_PATTERN},
    ),
]
PeriodStart = Annotated[PlanDate, AfterValidator(_four_digit_year)]
ItemId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
# Only the shape here: whether the code is assigned is a rule of decide() (unknown_country),
# so commands and actors recorded in workflow histories before that rule still parse.
Country = Annotated[
    str,
    StringConstraints(pattern=COUNTRY_PATTERN),
    Field(
        description="An assigned ISO 3166-1 alpha-3 code, e.g. GHA (a made-up one: 409 "
        "unknown_country)"
    ),
]


TextPattern = Field(json_schema_extra={"pattern": TEXT_PATTERN})
DONOR_PATTERN = r"^[a-z][a-z0-9_]{1,31}$"
MAX_DONORS = 20
DonorCode = Annotated[str, StringConstraints(pattern=DONOR_PATTERN)]


def _distinct(donors: list[str]) -> list[str]:
    if len(set(donors)) != len(donors):
        raise ValueError("a donor is named twice")
    return donors


# The donors funding a plan, by code (e.g. norad, canada): a list without repeats.
Donors = Annotated[
    list[DonorCode],
    # uniqueItems: the schema states the no-repeat check, so a schema-valid body is valid.
    Field(
        max_length=MAX_DONORS,
        description="Donor codes, e.g. norad, canada",
        json_schema_extra={"uniqueItems": True},
    ),
    AfterValidator(_distinct),
]


def _stripped(max_length: int, min_length: int | None = 1) -> StringConstraints:
    """Text as people type it: surrounding white space dropped, then the length bounded."""
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Title = Annotated[str, _stripped(200), NoNul, TextPattern]
Text = Annotated[str, _stripped(4000), NoNul, TextPattern]
Unit = Annotated[str, _stripped(50), NoNul, TextPattern]
OptionalText = Annotated[
    str,
    _stripped(4000, min_length=None),
    NoNul,
    Field(json_schema_extra={"pattern": NO_NUL_PATTERN}),
]
# Strict per field, not model-wide: a number is a JSON number (an integer is fine for a
# float), never "3" or true; dates and enums still parse from their JSON strings.
Number = Annotated[
    float, Strict(), Field(allow_inf_nan=False, gt=-EXACT_NUMBER_LIMIT, lt=EXACT_NUMBER_LIMIT)
]
Maturity = Annotated[int, Strict(), Field(ge=1, le=5), IntegralNumber]
Percent = Annotated[int, Strict(), Field(ge=0, le=100), IntegralNumber]
Version = Annotated[int, Strict(), Field(ge=0), IntegralNumber]


def _type_is_required(schema: dict[str, Any]) -> None:
    # "type" has a default (POST /plans may leave it out), but among all commands it is what
    # chooses one, and a body without it is refused: the schema says so as the parser does.
    required = schema.setdefault("required", [])
    if "type" not in required:
        required.insert(0, "type")


class PeriodTargetInput(BaseModel):
    """One point of a target path: the value the indicator should reach by ``due``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    due: PlanDate
    target: Number


# At most one a month over the longest plan (15 years): bounded input.
PeriodTargets = Annotated[list[PeriodTargetInput], Field(max_length=180)]


class BaseCommand(BaseModel):
    """What every command is: frozen, strict about unknown fields, and declaring its data."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_type_is_required)

    # The "who" and "phase" columns of DOMAIN.md, the verb phrase of refusal messages
    # ("may not <label>") and the body shown in OpenAPI's "Try it out".
    roles: ClassVar[frozenset[Role]]
    phases: ClassVar[frozenset[Phase]]
    label: ClassVar[str]
    example: ClassVar[dict[str, Any]]

    command_id: UUID | None = None
    expected_version: Version | None = None
