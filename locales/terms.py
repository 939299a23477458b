"""The product's fixed vocabulary in words: key factors, phases, statuses, roles, ratings,
event types and command labels. The codes stay the codes (in the store, the API and the
CLI); only what a person reads is translated, at the edge.

Key factor names follow the Revised Arusha Declaration's own wording in each language
(the WCO's published English and French texts; the Spanish and Portuguese versions of the
digital Declaration), so a focal point finds the names they already use.
"""

from __future__ import annotations

from locales.catalogs import N_, gettext_in

KEY_FACTOR_NAMES: dict[str, str] = {
    "leadership_and_commitment": N_("Leadership and commitment"),
    "regulatory_framework": N_("Regulatory framework"),
    "transparency": N_("Transparency"),
    "automation": N_("Automation"),
    "reform_and_modernization": N_("Reform and modernization"),
    "audit_and_investigation": N_("Audit and investigation"),
    "code_of_conduct": N_("Code of conduct"),
    "human_resource_management": N_("Human resource management"),
    "morale_and_organizational_culture": N_("Morale and organizational culture"),
    "relationship_with_private_sector": N_("Relationship with the private sector"),
}

PHASE_NAMES: dict[str, str] = {
    "diagnostic": N_("Diagnostic"),
    "drafting": N_("Drafting"),
    "under_review": N_("Under review"),
    "implementation": N_("Implementation"),
    "evaluation": N_("Evaluation"),
    "closed": N_("Closed"),
    "cancelled": N_("Cancelled"),
}

# Benchmark statuses, milestone statuses, evaluation ratings and account states share one
# namespace of codes; "achieved" means the same in each.
STATUS_NAMES: dict[str, str] = {
    "off_track": N_("Off track"),
    "at_risk": N_("At risk"),
    "no_data": N_("No data"),
    "on_track": N_("On track"),
    "achieved": N_("Achieved"),
    "not_covered": N_("Not covered"),
    "pending": N_("Pending"),
    "in_progress": N_("In progress"),
    "completed": N_("Completed"),
    "partially_achieved": N_("Partially achieved"),
    "not_achieved": N_("Not achieved"),
    # A person's account (users.status).
    "invited": N_("Invited"),
    "active": N_("Active"),
    "deactivated": N_("Deactivated"),
}

# What a personal access token may do (api.tokens.SCOPES); the code stays in the API and CLI.
SCOPE_NAMES: dict[str, str] = {"read": N_("read"), "commands": N_("commands"), "approve": N_(
    "approve")}  # fmt: skip

# How often an indicator is measured (domain.state.ReportingFrequency), as a sentence says it.
REPORTING_FREQUENCIES: dict[str, str] = {"quarterly": N_("quarterly"), "semiannual": N_(
    "half-yearly"), "annual": N_("annual"), "biennial": N_("every two years")}  # fmt: skip

# The WCO's six regions (domain.regions), in the names the WCO's regional offices use.
REGION_NAMES: dict[str, str] = {
    "east_and_southern_africa": N_("East and Southern Africa"),
    "west_and_central_africa": N_("West and Central Africa"),
    "north_of_africa_near_and_middle_east": N_("North of Africa, Near and Middle East"),
    "europe": N_("Europe"),
    "americas_and_the_caribbean": N_("Americas and the Caribbean"),
    "asia_pacific": N_("Far East, South and South East Asia, Australasia and the Pacific Islands"),
}

ROLE_NAMES: dict[str, str] = {
    "programme_manager": N_("Programme manager"),
    "focal_point": N_("Focal point"),
    "head_of_administration": N_("Head of administration"),
    "auditor": N_("Auditor"),
    "observer": N_("Observer"),
    "system": N_("System"),
}

EVENT_NAMES: dict[str, str] = {
    "plan_opened": N_("Plan opened"),
    "diagnostic_finding_recorded": N_("Diagnostic finding recorded"),
    "diagnostic_completed": N_("Diagnostic completed"),
    "outcome_added": N_("Outcome added"),
    "outcome_removed": N_("Outcome removed"),
    "milestone_added": N_("Milestone added"),
    "milestone_removed": N_("Milestone removed"),
    "indicator_defined": N_("Indicator defined"),
    "indicator_removed": N_("Indicator removed"),
    "plan_submitted": N_("Plan submitted"),
    "plan_approval_granted": N_("Approval granted"),
    "plan_approved": N_("Plan approved"),
    "plan_changes_requested": N_("Changes requested"),
    "milestone_progress_reported": N_("Progress reported"),
    "milestone_completed": N_("Milestone completed"),
    "milestone_rescheduled": N_("Milestone rescheduled"),
    "indicator_measured": N_("Measurement recorded"),
    "indicator_target_revised": N_("Target revised"),
    "evaluation_started": N_("Evaluation started"),
    "key_factor_rated": N_("Key factor rated"),
    "final_assessment_recorded": N_("Final assessment recorded"),
    "plan_closed": N_("Plan closed"),
    "plan_cancelled": N_("Plan cancelled"),
    "reminder_sent": N_("Reminder sent"),
    "milestone_overdue": N_("Milestone overdue"),
    "milestone_escalated": N_("Milestone escalated"),
    "measurement_due": N_("Measurement due"),
}

NOTIFICATION_KINDS: dict[str, str] = {
    "due_soon": N_("Due-soon reminder"),
    "overdue": N_("Overdue reminder"),
    "escalation": N_("Escalation"),
    "measurement_due": N_("Measurement reminder"),
}

# Command types as a form's title or an action's name ("Approve the plan").
COMMAND_TITLES: dict[str, str] = {
    "open_plan": N_("Open a plan"),
    "record_diagnostic_finding": N_("Record a diagnostic finding"),
    "complete_diagnostic": N_("Complete the diagnostic"),
    "add_outcome": N_("Add an outcome"),
    "remove_outcome": N_("Remove an outcome"),
    "add_milestone": N_("Add a milestone"),
    "remove_milestone": N_("Remove"),
    "define_indicator": N_("Define an indicator"),
    "remove_indicator": N_("Remove"),
    "submit_for_approval": N_("Submit the plan for approval"),
    "approve_plan": N_("Approve the plan"),
    "request_changes": N_("Request changes"),
    "report_milestone_progress": N_("Report progress"),
    "complete_milestone": N_("Complete"),
    "reschedule_milestone": N_("Reschedule"),
    "record_measurement": N_("Record a measurement"),
    "revise_indicator_target": N_("Revise the target"),
    "start_evaluation": N_("Start the evaluation"),
    "rate_key_factor": N_("Rate a key factor"),
    "record_final_assessment": N_("Record the final assessment"),
    "close_plan": N_("Close the plan"),
    "cancel_plan": N_("Cancel the plan"),
}

# What "may not <label>" says of each command, in the middle of a refusal sentence.
COMMAND_LABELS: dict[str, str] = {
    "open_plan": N_("open a plan"),
    "record_diagnostic_finding": N_("record a diagnostic finding"),
    "complete_diagnostic": N_("complete the diagnostic"),
    "add_outcome": N_("add an outcome"),
    "remove_outcome": N_("remove an outcome"),
    "add_milestone": N_("add a milestone"),
    "remove_milestone": N_("remove a milestone"),
    "define_indicator": N_("define an indicator"),
    "remove_indicator": N_("remove an indicator"),
    "submit_for_approval": N_("submit the plan for approval"),
    "approve_plan": N_("approve the plan"),
    "request_changes": N_("request changes to the plan"),
    "report_milestone_progress": N_("report milestone progress"),
    "complete_milestone": N_("complete a milestone"),
    "reschedule_milestone": N_("reschedule a milestone"),
    "record_measurement": N_("record a measurement"),
    "revise_indicator_target": N_("revise an indicator target"),
    "start_evaluation": N_("start the evaluation"),
    "rate_key_factor": N_("rate a key factor"),
    "record_final_assessment": N_("record the final assessment"),
    "close_plan": N_("close the plan"),
    "cancel_plan": N_("cancel the plan"),
}

# Lookup order for a bare code shown on a page: a code is in at most one table but
# "achieved" (status and rating) and "measurement_due" (event and kind) read the same.
_ALL_NAMES: dict[str, str] = {
    **COMMAND_TITLES,
    **NOTIFICATION_KINDS,
    **EVENT_NAMES,
    **ROLE_NAMES,
    **STATUS_NAMES,
    **REPORTING_FREQUENCIES,
    **SCOPE_NAMES,
    **PHASE_NAMES,
    **KEY_FACTOR_NAMES,
    **REGION_NAMES,
}


def term(code: object, language: str) -> str:
    """The name of a code in ``language``; an unknown code reads as its words."""
    if code is None:
        return ""
    text = str(code)
    message = _ALL_NAMES.get(text)
    if message is None:
        return text.replace("_", " ")
    return gettext_in(language, message)


def key_factor_name(code: str, language: str) -> str:
    message = KEY_FACTOR_NAMES.get(str(code))
    return gettext_in(language, message) if message else str(code).replace("_", " ")


def command_label(command_type: str, language: str) -> str:
    message = COMMAND_LABELS.get(command_type)
    return gettext_in(language, message) if message else command_type.replace("_", " ")


def role_name(code: str, language: str) -> str:
    message = ROLE_NAMES.get(str(code))
    return gettext_in(language, message) if message else str(code).replace("_", " ")


# The inputs of the command forms, by field name.
FIELD_LABELS: dict[str, str] = {
    "administration": N_("Administration"),
    "baseline": N_("Baseline"),
    "baseline_date": N_("Baseline date"),
    "comment": N_("Comment"),
    "country": N_("Country"),
    "description": N_("Description"),
    "due_date": N_("Due date"),
    "email": N_("E-mail"),
    "evidence": N_("Evidence"),
    "indicator_id": N_("Indicator id"),
    "key_factor": N_("Key factor"),
    "key_factors": N_("Key factors"),
    "language": N_("Language"),
    "maturity": N_("Maturity"),
    "measured_on": N_("Measured on"),
    "milestone_id": N_("Milestone id"),
    "name": N_("Name"),
    "new_due_date": N_("New due date"),
    "new_target": N_("New target"),
    "note": N_("Note"),
    "outcome_id": N_("Outcome"),
    "parent_id": N_("General outcome"),
    "percent": N_("Percent done"),
    "period_end": N_("Period end"),
    "period_start": N_("Period start"),
    "rating": N_("Rating"),
    "reason": N_("Reason"),
    "reporting_frequency": N_("Reporting frequency"),
    "role": N_("Role"),
    "source": N_("Source"),
    "summary": N_("Summary"),
    "target": N_("Target"),
    "title": N_("Title"),
    "unit": N_("Unit"),
    "value": N_("Value"),
}

# The hints the commands declare (pydantic ``description``), as forms show them.
FIELD_HELP: dict[str, str] = {
    "e.g. I4": N_("e.g. I4"),
    "e.g. M5": N_("e.g. M5"),
    "ISO 3166-1 alpha-3, e.g. GHA": N_("ISO 3166-1 alpha-3, e.g. GHA"),
    "e.g. percent": N_("e.g. percent"),
}


def field_label(name: str, language: str) -> str:
    message = FIELD_LABELS.get(name)
    return gettext_in(language, message) if message else name.replace("_", " ").capitalize()


def field_help(text: str, language: str) -> str:
    """A form hint in ``language``; one not declared here is shown as the command has it."""
    return gettext_in(language, FIELD_HELP[text]) if text in FIELD_HELP else text
