"""The dashboard's forms come from the commands' JSON schemas, and form text becomes the
JSON types the (strict) commands take."""

from __future__ import annotations

from api.examples import COMMAND_EXAMPLES, OPEN_PLAN_EXAMPLE
from api.web.forms import ALL_FORMS, INDICATOR_FORMS, MILESTONE_FORMS, command_fields
from domain import parse_command
from domain.commands import COMMAND_BY_TYPE


def test_every_form_has_the_inputs_of_its_command() -> None:
    for form in ALL_FORMS.values():
        command = COMMAND_BY_TYPE[form.type]
        # A milestone's or indicator's row supplies its id.
        given = {"milestone_id"} if form.type in MILESTONE_FORMS else set()
        given |= {"indicator_id"} if form.type in INDICATOR_FORMS else set()
        wanted = set(command.model_fields) - {"type", "command_id", "expected_version"}
        wanted -= given | {"reminder_policy"}
        assert {f.name for f in form.fields} == wanted, form.type


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
