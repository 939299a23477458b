"""What each command does, in words a programme manager reads in a refusal message."""

from __future__ import annotations

COMMAND_LABELS: dict[str, str] = {
    "open_plan": "open a plan",
    "record_diagnostic_finding": "record a diagnostic finding",
    "complete_diagnostic": "complete the diagnostic",
    "add_milestone": "add a milestone",
    "remove_milestone": "remove a milestone",
    "define_indicator": "define an indicator",
    "remove_indicator": "remove an indicator",
    "submit_for_approval": "submit the plan for approval",
    "approve_plan": "approve the plan",
    "request_changes": "request changes to the plan",
    "report_milestone_progress": "report milestone progress",
    "complete_milestone": "complete a milestone",
    "reschedule_milestone": "reschedule a milestone",
    "record_measurement": "record a measurement",
    "revise_indicator_target": "revise an indicator target",
    "start_evaluation": "start the evaluation",
    "rate_key_factor": "rate a key factor",
    "close_plan": "close the plan",
    "cancel_plan": "cancel the plan",
}


def command_label(command_type: str) -> str:
    return COMMAND_LABELS.get(command_type, command_type.replace("_", " "))
