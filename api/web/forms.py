"""The dashboard's command forms: which a user may see, and form data -> command.

Hiding a form is only a courtesy: every submission still goes through domain ``decide``
(in the workflow), which refuses what the role, the scope or the phase does not allow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain import COMMAND_ROLES, Actor, KeyFactor, Phase, can_read
from domain import commands as c
from domain.access import COUNTRY_SCOPED_ROLES
from domain.decide import COMMAND_PHASES

# Every command has these; the page sets them (hidden inputs), never a person.
ENVELOPE_FIELDS = frozenset({"type", "command_id", "expected_version"})
# Longer text than this gets a text area.
SHORT_TEXT = 200


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, textarea, date, number, select, checkboxes, hidden
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    step: str = "any"
    help: str = ""
    # The JSON type the command wants: form text is converted to it before parsing, so a
    # strict number field receives a number.
    json_type: str = "string"


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


def _choice_label(value: str) -> str:
    if value in KeyFactor.__members__.values():
        return KeyFactor(value).label
    return value.replace("_", " ")


def _field(name: str, prop: dict[str, Any], defs: dict[str, Any], required: bool) -> Field:
    """One input from one property of a command's JSON schema."""
    # Optional values are ``anyOf [<type>, null]``; the input is for <type>.
    options = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
    spec = dict(options[0]) if options else {}
    if "$ref" in spec:
        spec = {**defs[spec["$ref"].rsplit("/", 1)[-1]], **spec}
    # pydantic's titles read "Milestone Id"; a sentence-case name reads better on a form.
    label = name.replace("_", " ").capitalize()
    help_text = str(prop.get("description", ""))
    if help_text:
        label = f"{label} ({help_text})"
    if "enum" in spec:
        choices = tuple((str(v), _choice_label(str(v))) for v in spec["enum"])
        return Field(name, label, "select", required, choices=choices, help=help_text)
    if spec.get("type") == "array":
        items = dict(spec.get("items", {}))
        if "$ref" in items:
            items = {**defs[items["$ref"].rsplit("/", 1)[-1]], **items}
        if "enum" in items:  # e.g. an outcome's key factors: one box each
            choices = tuple((str(v), _choice_label(str(v))) for v in items["enum"])
            return Field(name, label, "checkboxes", required, choices=choices, json_type="array")
        # A target path: one "date value" a line, read by command_fields.
        return Field(
            name,
            f"{label} (one a line: date and target, e.g. 2027-06-30 40)",
            "textarea",
            required,
            json_type="period_targets",
        )
    json_type = str(spec.get("type", "string"))
    if json_type in ("integer", "number"):
        minimum, maximum = spec.get("minimum"), spec.get("maximum")
        if minimum is not None and maximum is not None:
            label = f"{label} ({minimum:g} to {maximum:g})"
        return Field(
            name,
            label,
            "number",
            required,
            minimum=minimum,
            maximum=maximum,
            step="1" if json_type == "integer" else "any",
            help=help_text,
            json_type=json_type,
        )
    if spec.get("format") == "date":
        return Field(name, label, "date", required, help=help_text)
    area = spec.get("maxLength", 0) > SHORT_TEXT
    return Field(name, label, "textarea" if area else "text", required, help=help_text)


def fields_of(command: type[Any], *, given: frozenset[str] = frozenset()) -> tuple[Field, ...]:
    """The inputs a person fills in for ``command``, from its JSON schema: every field but
    the envelope's, those the page ``given`` (e.g. the milestone of a row) and nested
    objects (e.g. open_plan's reminder policy, which keeps its defaults)."""
    schema = command.model_json_schema()
    defs, required = schema.get("$defs", {}), set(schema.get("required", ()))
    fields: list[Field] = []
    for name, prop in schema["properties"].items():
        if name in ENVELOPE_FIELDS or name in given:
            continue
        ref = prop.get("$ref") or next(
            (p["$ref"] for p in prop.get("anyOf", []) if "$ref" in p), None
        )
        nested = defs.get(ref.rsplit("/", 1)[-1], {}) if ref else {}
        if nested.get("type") == "object":
            # An object of settings (open_plan's reminder policy): one optional input per
            # setting, named "<object>.<setting>"; blank keeps its default.
            for sub, sub_prop in nested.get("properties", {}).items():
                default = sub_prop.get("default")
                inner = _field(sub, sub_prop, defs, required=False)
                suffix = f", default {default}" if default is not None else ""
                fields.append(
                    Field(
                        f"{name}.{sub}",
                        f"{name.replace('_', ' ').capitalize()}: {inner.label.lower()}{suffix}",
                        inner.kind,
                        False,
                        minimum=inner.minimum,
                        maximum=inner.maximum,
                        step=inner.step,
                        json_type=inner.json_type,
                    )
                )
            continue
        fields.append(_field(name, prop, defs, name in required))
    return tuple(fields)


def _form(
    command: type[Any],
    button: str,
    *,
    title: str | None = None,
    given: frozenset[str] = frozenset(),
    danger: bool = False,
) -> Form:
    return Form(
        command.model_fields["type"].default,
        title or command.label[0].upper() + command.label[1:],
        button,
        fields_of(command, given=given),
        danger,
    )


_MILESTONE = frozenset({"milestone_id"})
_INDICATOR = frozenset({"indicator_id"})
_OUTCOME = frozenset({"outcome_id"})

PLAN_FORMS: dict[str, Form] = {
    f.type: f
    for f in (
        _form(c.RecordDiagnosticFinding, "Record finding"),
        _form(c.CompleteDiagnostic, "Complete diagnostic"),
        _form(c.AddOutcome, "Add outcome"),
        _form(c.AddMilestone, "Add milestone"),
        _form(c.DefineIndicator, "Define indicator"),
        _form(c.SubmitForApproval, "Submit for approval"),
        _form(c.ApprovePlan, "Approve plan"),
        _form(c.RequestChanges, "Request changes", title="Request changes"),
        _form(c.StartEvaluation, "Start evaluation"),
        _form(c.RateKeyFactor, "Rate key factor"),
        _form(c.RecordFinalAssessment, "Record final assessment"),
        _form(c.ClosePlan, "Close plan"),
        _form(c.CancelPlan, "Cancel plan", danger=True),
    )
}

MILESTONE_FORMS: dict[str, Form] = {
    f.type: f
    for f in (
        _form(
            c.ReportMilestoneProgress, "Report progress", title="Report progress", given=_MILESTONE
        ),
        _form(c.CompleteMilestone, "Complete milestone", title="Complete", given=_MILESTONE),
        _form(c.RescheduleMilestone, "Reschedule", title="Reschedule", given=_MILESTONE),
        _form(c.RemoveMilestone, "Remove milestone", title="Remove", given=_MILESTONE, danger=True),
    )
}

INDICATOR_FORMS: dict[str, Form] = {
    f.type: f
    for f in (
        _form(c.RecordMeasurement, "Record measurement", given=_INDICATOR),
        _form(
            c.ReviseIndicatorTarget, "Revise target", title="Revise the target", given=_INDICATOR
        ),
        _form(c.RemoveIndicator, "Remove indicator", title="Remove", given=_INDICATOR, danger=True),
    )
}

OUTCOME_FORMS: dict[str, Form] = {
    f.type: f
    for f in (
        _form(c.RemoveOutcome, "Remove outcome", title="Remove", given=_OUTCOME, danger=True),
    )
}

OPEN_PLAN_FORM = _form(c.OpenPlan, "Open plan")

ALL_FORMS: dict[str, Form] = {
    **PLAN_FORMS,
    **MILESTONE_FORMS,
    **INDICATOR_FORMS,
    **OUTCOME_FORMS,
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
    the command's defaults apply; numbers become JSON numbers (the command takes no number
    as text); text that is not a number stays text, for pydantic to refuse by field name."""
    form = ALL_FORMS.get(form_data.get("type", ""))
    inputs = {f.name: f for f in form.fields} if form else {}
    fields: dict[str, Any] = {}
    for name, value in form_data.items():
        if name in ("csrf_token",):
            continue
        spec = inputs.get(name)
        blank = value.strip() == ""
        if blank and ((spec is not None and not spec.required) or name == "expected_version"):
            continue
        json_type = "integer" if name == "expected_version" else spec.json_type if spec else ""
        if blank and json_type in ("array", "period_targets"):
            continue
        head, dot, tail = name.partition(".")
        if dot:  # a setting of an object, e.g. reminder_policy.due_soon_days
            fields.setdefault(head, {})[tail] = _as_json(value, json_type)
        else:
            fields[name] = _as_json(value, json_type)
    return fields


def _period_targets(value: str) -> list[Any]:
    """ "2027-06-30 40" a line -> [{"due": "2027-06-30", "target": 40}]; a line that does
    not read so is passed on as it is, for the command's validation to name."""
    targets: list[Any] = []
    for line in value.replace(",", " ").splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) == 2:
            targets.append({"due": parts[0], "target": _as_json(parts[1], "number")})
        else:
            targets.append(line)
    return targets


def _as_json(value: str, json_type: str) -> Any:
    if json_type == "array":  # checkboxes: the session joins repeated names with newlines
        return [v for v in value.split("\n") if v]
    if json_type == "period_targets":
        return _period_targets(value)
    try:
        if json_type == "integer":
            return int(value.strip())
        if json_type == "number":
            number = float(value.strip())
            return int(number) if number.is_integer() and "." not in value else number
    except ValueError:
        pass
    return value
