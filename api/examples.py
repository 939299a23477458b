"""One example body per command, shown in OpenAPI's "Try it out"."""

from __future__ import annotations

from typing import Any

_OPEN_PLAN: dict[str, Any] = {
    "country": "GHA",
    "administration": "Ghana Revenue Authority - Customs Division",
    "title": "Integrity action plan 2027-2029",
    "period_start": "2027-01-01",
    "period_end": "2029-12-31",
}

_COMMANDS: dict[str, dict[str, Any]] = {
    "record_diagnostic_finding": {
        "key_factor": "transparency",
        "maturity": 2,
        "summary": "Tariff rulings are not published",
    },
    "complete_diagnostic": {},
    "add_milestone": {
        "milestone_id": "M1",
        "title": "Publish the revised code of conduct",
        "key_factor": "code_of_conduct",
        "due_date": "2027-06-30",
        "description": "Adopted by the Commissioner and posted at every office",
    },
    "remove_milestone": {"milestone_id": "M1"},
    "define_indicator": {
        "indicator_id": "I1",
        "name": "Staff trained on the code of conduct",
        "key_factor": "code_of_conduct",
        "unit": "percent",
        "baseline": 10,
        "target": 90,
        "source": "HR training records",
    },
    "remove_indicator": {"indicator_id": "I1"},
    "submit_for_approval": {},
    "approve_plan": {"comment": "Agreed for the administration"},
    "request_changes": {"reason": "Add an indicator for automation"},
    "report_milestone_progress": {
        "milestone_id": "M1",
        "percent": 50,
        "note": "Draft circulated to the unions",
    },
    "complete_milestone": {"milestone_id": "M1", "evidence": "Circular 2027/14, signed"},
    "reschedule_milestone": {
        "milestone_id": "M1",
        "new_due_date": "2027-09-30",
        "reason": "Union consultation took longer",
    },
    "record_measurement": {
        "indicator_id": "I1",
        "value": 45,
        "measured_on": "2027-12-31",
        "source": "HR training records",
    },
    "revise_indicator_target": {
        "indicator_id": "I1",
        "new_target": 80,
        "reason": "Staff numbers grew by a third",
    },
    "start_evaluation": {},
    "rate_key_factor": {
        "key_factor": "code_of_conduct",
        "rating": "achieved",
        "note": "Code adopted and trained",
    },
    "close_plan": {"summary": "Plan delivered; see the evaluation report"},
    "cancel_plan": {"reason": "Superseded by the 2028 plan"},
}

OPEN_PLAN_EXAMPLE: dict[str, Any] = {"open_plan": {"summary": "Open", "value": _OPEN_PLAN}}

COMMAND_EXAMPLES: dict[str, Any] = {
    name: {"summary": name.replace("_", " "), "value": {"type": name, **fields}}
    for name, fields in _COMMANDS.items()
}
