"""Malformed commands fail at parse time with a field-named pydantic error."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from domain import COMMAND_TYPES, EVENT_TYPES, OpenPlan, parse_command
from domain.commands import COMMAND_CLASSES

FINDING = {"type": "record_diagnostic_finding", "key_factor": "automation", "summary": "s"}
PROGRESS = {"type": "report_milestone_progress", "milestone_id": "M1", "note": "n"}
MILESTONE = {"type": "add_milestone", "title": "t", "key_factor": "automation"}
OPEN = {
    "type": "open_plan",
    "administration": "Ghana Revenue Authority",
    "title": "Plan",
    "period_start": "2026-01-01",
    "period_end": "2027-12-31",
}


@pytest.mark.parametrize(
    ("data", "ok", "field"),
    [
        ({**FINDING, "maturity": 0}, False, "maturity"),
        ({**FINDING, "maturity": 1}, True, "maturity"),
        ({**FINDING, "maturity": 5}, True, "maturity"),
        ({**FINDING, "maturity": 6}, False, "maturity"),
        ({**PROGRESS, "percent": -1}, False, "percent"),
        ({**PROGRESS, "percent": 0}, True, "percent"),
        ({**PROGRESS, "percent": 100}, True, "percent"),
        ({**PROGRESS, "percent": 101}, False, "percent"),
        ({**FINDING, "maturity": 3, "summary": "   "}, False, "summary"),
        ({**FINDING, "maturity": 3, "key_factor": "honesty"}, False, "key_factor"),
        ({**MILESTONE, "milestone_id": "M-1.a_b", "due_date": "2026-02-01"}, True, "milestone_id"),
        ({**MILESTONE, "milestone_id": "-M1", "due_date": "2026-02-01"}, False, "milestone_id"),
        ({**MILESTONE, "milestone_id": "M 1", "due_date": "2026-02-01"}, False, "milestone_id"),
        ({**MILESTONE, "milestone_id": "M" * 64, "due_date": "2026-02-01"}, True, "milestone_id"),
        ({**MILESTONE, "milestone_id": "M" * 65, "due_date": "2026-02-01"}, False, "milestone_id"),
        ({**MILESTONE, "milestone_id": "M1", "due_date": "2026-02-30"}, False, "due_date"),
        (
            {**MILESTONE, "milestone_id": "M1", "due_date": "x", "title": "t" * 200},
            False,
            "due_date",
        ),
        (
            {**MILESTONE, "milestone_id": "M1", "due_date": "2026-02-01", "title": "t" * 201},
            False,
            "title",
        ),
        ({**OPEN, "country": "GHA"}, True, "country"),
        ({**OPEN, "country": "gha"}, False, "country"),
        ({**OPEN, "country": "GH"}, False, "country"),
        # Numbers are JSON numbers, never text or booleans (issue 11).
        ({**FINDING, "maturity": "3"}, False, "maturity"),
        ({**FINDING, "maturity": True}, False, "maturity"),
        # ... but 3.0 is the JSON integer 3, as JSON Schema's "integer" says (issue 18);
        # 3.5 is not an integer at all.
        ({**FINDING, "maturity": 3.0}, True, "maturity"),
        ({**FINDING, "maturity": 3.5}, False, "maturity"),
        ({**PROGRESS, "percent": "50"}, False, "percent"),
        ({**PROGRESS, "percent": False}, False, "percent"),
        (
            {**OPEN, "country": "GHA", "reminder_policy": {"due_soon_days": "7"}},
            False,
            "due_soon_days",
        ),
        (
            {**OPEN, "country": "GHA", "reminder_policy": {"escalate_after_days": True}},
            False,
            "escalate_after_days",
        ),
        ({**OPEN, "country": "GHA", "expected_version": "0"}, False, "expected_version"),
        ({**OPEN, "country": "GHA", "expected_version": 0}, True, "expected_version"),
        (
            {**OPEN, "country": "GHA", "reminder_policy": {"due_soon_days": 0}},
            False,
            "due_soon_days",
        ),
        (
            {**OPEN, "country": "GHA", "reminder_policy": {"repeat_every_days": 366}},
            False,
            "repeat_every_days",
        ),
        (
            {**OPEN, "country": "GHA", "reminder_policy": {"escalate_after_days": 365}},
            True,
            "escalate_after_days",
        ),
        ({**OPEN, "country": "GHA", "actor": "me"}, False, "actor"),
        (
            {"type": "record_measurement", "indicator_id": "I1", "value": True},
            False,
            "value",
        ),
        (
            {
                "type": "record_measurement",
                "indicator_id": "I1",
                "value": "45",
                "measured_on": "2026-01-01",
            },
            False,
            "value",
        ),
        (
            # A JSON integer is a fine float.
            {
                "type": "record_measurement",
                "indicator_id": "I1",
                "value": 45,
                "measured_on": "2026-01-01",
            },
            True,
            "value",
        ),
        (
            {
                "type": "record_measurement",
                "indicator_id": "I1",
                "value": "nan",
                "measured_on": "2026-01-01",
            },
            False,
            "value",
        ),
        (
            {
                "type": "record_measurement",
                "indicator_id": "I1",
                "value": 1e308 * 10,
                "measured_on": "2026-01-01",
            },
            False,
            "value",
        ),
        (
            {
                "type": "record_measurement",
                "indicator_id": "I1",
                "value": -2.5,
                "measured_on": "2026-01-01",
            },
            True,
            "value",
        ),
        (
            {"type": "rate_key_factor", "key_factor": "automation", "rating": "great", "note": "n"},
            False,
            "rating",
        ),
        ({"type": "complete_diagnostic", "expected_version": -1}, False, "expected_version"),
        ({"type": "complete_diagnostic", "command_id": "not-a-uuid"}, False, "command_id"),
        ({"type": "no_such_command"}, False, "type"),
    ],
)
def test_field_validation(data: dict[str, Any], ok: bool, field: str) -> None:
    if ok:
        parse_command(data)
        return
    with pytest.raises(ValidationError) as info:
        parse_command(data)
    assert field in str(info.value)


def test_text_is_stripped() -> None:
    c = parse_command({**FINDING, "maturity": 2, "summary": "  weak controls \n"})
    assert c.summary == "weak controls"  # type: ignore[union-attr]


def test_open_plan_derives_plan_id() -> None:
    c = parse_command({**OPEN, "country": "GHA"})
    assert isinstance(c, OpenPlan)
    assert c.plan_id == "GHA-2026"
    assert c.reminder_policy.due_soon_days == 7


def test_commands_are_frozen() -> None:
    c = parse_command({**OPEN, "country": "GHA"})
    assert isinstance(c, OpenPlan)
    with pytest.raises(ValidationError):
        c.title = "other"  # type: ignore[misc]


def test_type_lists_match_domain_contract() -> None:
    assert len(COMMAND_TYPES) == 23 == len(set(COMMAND_TYPES)) == len(COMMAND_CLASSES)
    assert len(EVENT_TYPES) == 28 == len(set(EVENT_TYPES))
    assert "open_plan" in COMMAND_TYPES
    assert "milestone_escalated" in EVENT_TYPES


def test_command_round_trips_through_json() -> None:
    c = parse_command(
        {**OPEN, "country": "GHA", "command_id": "6f1c1d39-1f7e-4a54-9a8c-0b2f1d7b2a11"}
    )
    assert parse_command(c.model_dump(mode="json")) == c


@pytest.mark.parametrize("command", COMMAND_CLASSES, ids=lambda c: c.__name__)
def test_each_command_declares_itself_once(command: type[Any]) -> None:
    """Roles, phases, label and example live on the class; the example is a valid body."""
    assert command.roles, "somebody may send it"
    assert command.label and command.label == command.label.lower()
    assert isinstance(command.phases, frozenset)
    example = parse_command({"type": command.model_fields["type"].default, **command.example})
    assert type(example) is command
    assert not {"roles", "phases", "label", "example"} & set(command.model_fields)


async def test_strict_commands_round_trip_through_temporals_converter() -> None:
    """Per-field strictness must not break the workflow's payloads: dates and enums travel
    as JSON strings and come back as dates and enums."""
    from temporalio.contrib.pydantic import pydantic_data_converter

    from contracts.temporal import CommandRequest
    from domain import Actor, Role

    actor = Actor(name="kofi", role=Role.FOCAL_POINT, country="GHA")
    for command in COMMAND_CLASSES:
        body = {"type": command.model_fields["type"].default, **command.example}
        request = CommandRequest(plan_id="GHA-2027", command=parse_command(body), actor=actor)
        payloads = await pydantic_data_converter.encode([request])
        (decoded,) = await pydantic_data_converter.decode(payloads, [CommandRequest])
        assert decoded == request
