"""The dashboard's command forms: which a user may see, and form data -> command.

Hiding a form is only a courtesy: every submission still goes through domain ``decide``
(in the workflow), which refuses what the role, the scope or the phase does not allow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain import COMMAND_ROLES, Actor, KeyFactor, Phase, RatingValue, can_read
from domain.access import COUNTRY_SCOPED_ROLES
from domain.decide import COMMAND_PHASES

KEY_FACTOR_CHOICES = tuple((k.value, k.label) for k in KeyFactor)
RATING_CHOICES = tuple((r.value, r.value.replace("_", " ")) for r in RatingValue)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, textarea, date, number, select, hidden
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    step: str = "any"
    help: str = ""


@dataclass(frozen=True)
class Form:
    type: str
    title: str
    button: str
    fields: tuple[Field, ...] = field(default_factory=tuple)
    danger: bool = False

    @property
    def label(self) -> str:
        return self.type.replace("_", " ")


def _text(name: str, label: str, *, required: bool = True, area: bool = False) -> Field:
    return Field(name, label, "textarea" if area else "text", required)


KEY_FACTOR = Field("key_factor", "Key factor", "select", choices=KEY_FACTOR_CHOICES)

PLAN_FORMS: dict[str, Form] = {
    f.type: f
    for f in (
        Form(
            "record_diagnostic_finding",
            "Record a diagnostic finding",
            "Record finding",
            (
                KEY_FACTOR,
                Field("maturity", "Maturity (1 to 5)", "number", minimum=1, maximum=5, step="1"),
                _text("summary", "Summary", area=True),
            ),
        ),
        Form("complete_diagnostic", "Complete the diagnostic", "Complete diagnostic"),
        Form(
            "add_milestone",
            "Add a milestone",
            "Add milestone",
            (
                _text("milestone_id", "Milestone id (e.g. M5)"),
                _text("title", "Title"),
                KEY_FACTOR,
                Field("due_date", "Due date", "date"),
                _text("description", "Description", required=False, area=True),
            ),
        ),
        Form(
            "define_indicator",
            "Define an indicator",
            "Define indicator",
            (
                _text("indicator_id", "Indicator id (e.g. I4)"),
                _text("name", "Name"),
                KEY_FACTOR,
                _text("unit", "Unit (e.g. percent)"),
                Field("baseline", "Baseline", "number"),
                Field("target", "Target", "number"),
                _text("source", "Source", required=False),
            ),
        ),
        Form("submit_for_approval", "Submit the plan for approval", "Submit for approval"),
        Form(
            "approve_plan",
            "Approve the plan",
            "Approve plan",
            (_text("comment", "Comment", required=False, area=True),),
        ),
        Form(
            "request_changes",
            "Request changes",
            "Request changes",
            (_text("reason", "What must change", area=True),),
        ),
        Form("start_evaluation", "Start the evaluation", "Start evaluation"),
        Form(
            "rate_key_factor",
            "Rate a key factor",
            "Rate key factor",
            (
                KEY_FACTOR,
                Field("rating", "Rating", "select", choices=RATING_CHOICES),
                _text("note", "Note", area=True),
            ),
        ),
        Form(
            "close_plan", "Close the plan", "Close plan", (_text("summary", "Summary", area=True),)
        ),
        Form(
            "cancel_plan",
            "Cancel the plan",
            "Cancel plan",
            (_text("reason", "Reason", area=True),),
            danger=True,
        ),
    )
}

MILESTONE_FORMS: dict[str, Form] = {
    f.type: f
    for f in (
        Form(
            "report_milestone_progress",
            "Report progress",
            "Report progress",
            (
                Field("percent", "Percent done", "number", minimum=0, maximum=100, step="1"),
                _text("note", "Note", area=True),
            ),
        ),
        Form(
            "complete_milestone",
            "Complete",
            "Complete milestone",
            (_text("evidence", "Evidence", area=True),),
        ),
        Form(
            "reschedule_milestone",
            "Reschedule",
            "Reschedule",
            (Field("new_due_date", "New due date", "date"), _text("reason", "Reason", area=True)),
        ),
        Form("remove_milestone", "Remove", "Remove milestone", danger=True),
    )
}

INDICATOR_FORMS: dict[str, Form] = {
    f.type: f
    for f in (
        Form(
            "record_measurement",
            "Record a measurement",
            "Record measurement",
            (
                Field("value", "Value", "number"),
                Field("measured_on", "Measured on", "date"),
                _text("source", "Source", required=False),
            ),
        ),
        Form(
            "revise_indicator_target",
            "Revise the target",
            "Revise target",
            (Field("new_target", "New target", "number"), _text("reason", "Reason", area=True)),
        ),
        Form("remove_indicator", "Remove", "Remove indicator", danger=True),
    )
}

OPEN_PLAN_FORM = Form(
    "open_plan",
    "Open a plan",
    "Open plan",
    (
        _text("country", "Country (ISO 3166-1 alpha-3, e.g. GHA)"),
        _text("administration", "Administration"),
        _text("title", "Title"),
        Field("period_start", "Period start", "date"),
        Field("period_end", "Period end", "date"),
    ),
)

ALL_FORMS: dict[str, Form] = {
    **PLAN_FORMS,
    **MILESTONE_FORMS,
    **INDICATOR_FORMS,
    OPEN_PLAN_FORM.type: OPEN_PLAN_FORM,
}


def may_send(actor: Actor, command_type: str, country: str, phase: str | None) -> bool:
    """Whether to offer the form: the role's right, the country scope and the phase."""
    if actor.role not in COMMAND_ROLES.get(command_type, frozenset()):
        return False
    if actor.role in COUNTRY_SCOPED_ROLES and not can_read(actor, country):
        return False
    if phase is None:
        return command_type == "open_plan"
    return Phase(phase) in COMMAND_PHASES.get(command_type, frozenset())


def offered(forms: dict[str, Form], actor: Actor, country: str, phase: str) -> list[Form]:
    return [f for f in forms.values() if may_send(actor, f.type, country, phase)]


def command_fields(form_data: dict[str, str]) -> dict[str, Any]:
    """Form data -> the command's JSON-like fields: blank optional inputs are left out, so
    the command's defaults apply; everything else goes to pydantic as typed text."""
    form = ALL_FORMS.get(form_data.get("type", ""))
    optional = {f.name for f in form.fields if not f.required} if form else set()
    fields: dict[str, Any] = {}
    for name, value in form_data.items():
        if name in ("csrf_token",):
            continue
        if value.strip() == "" and (name in optional or name == "expected_version"):
            continue
        fields[name] = value
    return fields
