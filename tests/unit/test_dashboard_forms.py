"""The dashboard's forms come from the commands' JSON schemas, and form text becomes the
JSON types the (strict) commands take."""

from __future__ import annotations

from api.examples import COMMAND_EXAMPLES, OPEN_PLAN_EXAMPLE
from api.web.forms import (
    ALL_FORMS,
    INDICATOR_FORMS,
    MILESTONE_FORMS,
    OUTCOME_FORMS,
    command_fields,
)
from domain import parse_command
from domain.commands import COMMAND_BY_TYPE
from domain.state import ReminderPolicy


def test_every_form_has_the_inputs_of_its_command() -> None:
    for form in ALL_FORMS.values():
        command = COMMAND_BY_TYPE[form.type]
        # A milestone's or indicator's row supplies its id.
        given = {"milestone_id"} if form.type in MILESTONE_FORMS else set()
        given |= {"indicator_id"} if form.type in INDICATOR_FORMS else set()
        given |= {"outcome_id"} if form.type in OUTCOME_FORMS else set()
        wanted = set(command.model_fields) - {"type", "command_id", "expected_version"}
        wanted -= given
        if "reminder_policy" in wanted:  # one input per setting of the policy
            wanted -= {"reminder_policy"}
            wanted |= {f"reminder_policy.{name}" for name in ReminderPolicy.model_fields}
        assert {f.name for f in form.fields} == wanted, form.type


def test_results_framework_inputs() -> None:
    outcome = {f.name: f for f in ALL_FORMS["add_outcome"].fields}
    assert outcome["key_factors"].kind == "checkboxes"
    assert len(outcome["key_factors"].choices) == 10
    indicator = {f.name: f for f in ALL_FORMS["define_indicator"].fields}
    assert indicator["reporting_frequency"].kind == "select"
    assert indicator["period_targets"].json_type == "period_targets"
    assert indicator["baseline_date"].kind == "date"
    fields = command_fields(
        {
            "type": "define_indicator",
            "period_targets": "2027-06-30 40\r\n\r\n2028-06-30 55.5",
            "outcome_id": "",
            "baseline": "3",
        }
    )
    assert fields == {
        "type": "define_indicator",
        "period_targets": [
            {"due": "2027-06-30", "target": 40},
            {"due": "2028-06-30", "target": 55.5},
        ],
        "baseline": 3,
    }
    assert command_fields({"type": "add_outcome", "key_factors": "transparency\nautomation"}) == {
        "type": "add_outcome",
        "key_factors": ["transparency", "automation"],
    }
    opened = command_fields(
        {
            "type": "open_plan",
            "reminder_policy.measurement_grace_days": "20",
            "reminder_policy.due_soon_days": "",
        }
    )
    assert opened == {"type": "open_plan", "reminder_policy": {"measurement_grace_days": 20}}


def test_widgets_follow_the_schema() -> None:
    finding = {f.name: f for f in ALL_FORMS["record_diagnostic_finding"].fields}
    assert finding["key_factor"].kind == "select"
    assert ("automation", "automation") in finding["key_factor"].choices
    assert (finding["maturity"].kind, finding["maturity"].step) == ("number", "1")
    assert (finding["maturity"].minimum, finding["maturity"].maximum) == (1, 5)
    assert finding["summary"].kind == "textarea"
    milestone = {f.name: f for f in ALL_FORMS["add_milestone"].fields}
    assert milestone["due_date"].kind == "date"
    assert not milestone["description"].required
    assert milestone["milestone_id"].label == "Milestone id (e.g. M5)"


def test_form_text_becomes_json_numbers_the_command_accepts() -> None:
    fields = command_fields(
        {
            "csrf_token": "t",
            "type": "record_measurement",
            "indicator_id": "I1",
            "value": "45.5",
            "measured_on": "2026-03-01",
            "source": "",
            "expected_version": "7",
        }
    )
    assert fields == {
        "type": "record_measurement",
        "indicator_id": "I1",
        "value": 45.5,
        "measured_on": "2026-03-01",
        "expected_version": 7,
    }
    assert parse_command(fields).type == "record_measurement"
    progress = command_fields({"type": "report_milestone_progress", "percent": "50", "note": "n"})
    assert progress["percent"] == 50
    # Text that is no number stays text, for pydantic to refuse by field name.
    assert command_fields({"type": "report_milestone_progress", "percent": "half"})["percent"] == (
        "half"
    )


def test_openapi_examples_are_the_commands_own() -> None:
    assert set(COMMAND_EXAMPLES) | set(OPEN_PLAN_EXAMPLE) == set(COMMAND_BY_TYPE)
    for example in COMMAND_EXAMPLES.values():
        assert parse_command(example["value"]).type == example["value"]["type"]
