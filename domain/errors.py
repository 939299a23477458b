"""The one exception the domain raises when a command is refused."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# A detail is a JSON value a client can act on without parsing the sentence: a version,
# an id, a date in ISO form, a list of key factors.
Details = Mapping[str, Any]


class DomainError(Exception):
    """A business refusal: ``rule`` is a stable machine name, ``message`` one human sentence,
    ``details`` the facts behind it as JSON values (e.g. ``expected_version`` and
    ``actual_version`` for a version conflict, ``milestone_id`` for an unknown milestone).

    Callers (workflow validator, API, CLI) map ``rule`` to an error type, show ``message`` and
    pass ``details`` on as they are.
    """

    def __init__(self, rule: str, message: str, details: Details | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"DomainError(rule={self.rule!r}, message={self.message!r}, details={self.details!r})"
        )

    # Exceptions pickle as cls(*args); keep every field so a round trip (e.g. across a
    # process boundary) preserves the rule and its details.
    def __reduce__(self) -> tuple[type[DomainError], tuple[str, str, dict[str, Any]]]:
        return (DomainError, (self.rule, self.message, self.details))

    def as_json(self) -> dict[str, Any]:
        """What crosses the workflow boundary (ApplicationError details) to the API."""
        return {"rule": self.rule, "message": self.message, "details": self.details}


# Stable rule names, so other packages can refer to them without string typos.
NOT_PERMITTED = "not_permitted"
OUT_OF_SCOPE = "out_of_scope"
WRONG_PHASE = "wrong_phase"
PLAN_EXISTS = "plan_exists"
DONORS_UNCHANGED = "donors_unchanged"
PLAN_NOT_FOUND = "plan_not_found"
FOUR_EYES = "four_eyes"
ALREADY_APPROVED = "already_approved"
DIAGNOSTIC_INCOMPLETE = "diagnostic_incomplete"
PLAN_NOT_READY = "plan_not_ready"
UNKNOWN_MILESTONE = "unknown_milestone"
UNKNOWN_INDICATOR = "unknown_indicator"
DUPLICATE_MILESTONE = "duplicate_milestone"
DUPLICATE_INDICATOR = "duplicate_indicator"
MILESTONE_COMPLETED = "milestone_completed"
RATINGS_INCOMPLETE = "ratings_incomplete"
VERSION_CONFLICT = "version_conflict"
INVALID_PERIOD = "invalid_period"
OUT_OF_PERIOD = "out_of_period"
INVALID_VALUE = "invalid_value"
TARGET_EQUALS_BASELINE = "target_equals_baseline"
PERIOD_TOO_LONG = "period_too_long"
DATE_OUT_OF_RANGE = "date_out_of_range"
MEASURED_BEFORE_PERIOD = "measured_before_period"
MEASURED_IN_FUTURE = "measured_in_future"
UNKNOWN_COUNTRY = "unknown_country"
DUPLICATE_OUTCOME = "duplicate_outcome"
UNKNOWN_OUTCOME = "unknown_outcome"
OUTCOME_NESTING = "outcome_nesting"
OUTCOME_IN_USE = "outcome_in_use"
INVALID_PERIOD_TARGETS = "invalid_period_targets"

RULES: tuple[str, ...] = (
    NOT_PERMITTED,
    OUT_OF_SCOPE,
    WRONG_PHASE,
    PLAN_EXISTS,
    PLAN_NOT_FOUND,
    FOUR_EYES,
    ALREADY_APPROVED,
    DIAGNOSTIC_INCOMPLETE,
    PLAN_NOT_READY,
    UNKNOWN_MILESTONE,
    UNKNOWN_INDICATOR,
    DUPLICATE_MILESTONE,
    DUPLICATE_INDICATOR,
    MILESTONE_COMPLETED,
    RATINGS_INCOMPLETE,
    VERSION_CONFLICT,
    INVALID_PERIOD,
    OUT_OF_PERIOD,
    INVALID_VALUE,
    TARGET_EQUALS_BASELINE,
    PERIOD_TOO_LONG,
    DATE_OUT_OF_RANGE,
    MEASURED_BEFORE_PERIOD,
    MEASURED_IN_FUTURE,
    UNKNOWN_COUNTRY,
    DUPLICATE_OUTCOME,
    UNKNOWN_OUTCOME,
    OUTCOME_NESTING,
    OUTCOME_IN_USE,
    INVALID_PERIOD_TARGETS,
)
