"""Refusals in the reader's language, from the rule and its details.

The ``rule`` stays the stable code a program reads; the ``message`` a person reads is
written here from the rule's template and the refusal's ``details`` (DomainError.details),
each value formatted for the reader. A rule without a template here, or a refusal whose
details lack a place the template names, keeps the domain's English sentence: a new rule
is never a failure, only an English sentence until it is translated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from locales import formatting
from locales.catalogs import N_, SOURCE_LANGUAGE, gettext_in
from locales.terms import command_label, key_factor_name, role_name, term

# (rule, template): the places of a template are details' keys. A rule may have several
# templates (invalid_value); the one that uses the most of the details present is chosen.
TEMPLATES: tuple[tuple[str, str], ...] = (
    ("not_permitted", N_("Your role ({role}) may not {command_type}; only these may: {allowed_roles}.")),
    ("out_of_scope", N_("You act for {actor_country} and may not act on a plan of {plan_country}.")),
    ("wrong_phase", N_("You cannot {command_type} while the plan is in the {phase} phase; it needs the {allowed_phases} phase.")),
    ("plan_exists", N_("Plan {plan_id} already exists; a plan id is used only once.")),
    ("plan_not_found", N_("This plan does not exist; open it first.")),
    ("plan_not_found", N_("There is no plan {plan_id}.")),
    ("plan_not_found", N_("There is no plan {plan_id} you may see.")),
    ("plan_not_ready", N_("The plan cannot be submitted yet: {reasons}.")),
    ("four_eyes", N_("{submitted_by} submitted this plan and may not also approve it.")),
    ("already_approved", N_("The {role} has already approved this submission.")),
    ("diagnostic_incomplete", N_("The diagnostic needs a finding for all ten key factors; missing: {missing_key_factors}.")),
    ("ratings_incomplete", N_("Every key factor with a milestone or an indicator needs a rating before the plan is closed; missing: {missing_key_factors}.")),
    ("unknown_milestone", N_("This plan has no milestone {milestone_id}.")),
    ("unknown_indicator", N_("This plan has no indicator {indicator_id}.")),
    ("duplicate_milestone", N_("This plan already has a milestone {milestone_id}.")),
    ("duplicate_indicator", N_("This plan already has an indicator {indicator_id}.")),
    ("milestone_completed", N_("Milestone {milestone_id} is already completed.")),
    ("version_conflict", N_("The plan changed meanwhile: you saw version {expected_version}, it is now at version {actual_version}. Reload the page and try again.")),
    ("invalid_period", N_("The plan period must end after it starts ({period_start} to {period_end}).")),
    ("out_of_period", N_("The new due date {new_due_date} is outside the plan period, {period_start} to {period_end}.")),
    ("invalid_value", N_("Milestone {milestone_id} is already due on {due_date}.")),
    ("invalid_value", N_("The new due date {new_due_date} is already in the past.")),
    ("invalid_value", N_("Indicator {indicator_id} already has the target {target}.")),
    ("target_equals_baseline", N_("The new target of {indicator_id} equals its baseline {baseline}; progress could not be measured.")),
    ("period_too_long", N_("A plan period is at most 15 years; one starting on {period_start} ends by {latest_period_end}, not {period_end}.")),
    ("date_out_of_range", N_("The date {value} is outside the dates a plan can hold ({earliest} to {latest}).")),
    ("measured_before_period", N_("A measurement dated {measured_on} is before the plan period starts on {period_start}.")),
    ("measured_in_future", N_("A measurement cannot be dated in the future ({measured_on}).")),
    ("unknown_country", N_("{value} is not an ISO 3166-1 alpha-3 country code (e.g. GHA for Ghana).")),
    # People and their tokens (api/administration.py, api/people.py, api/tokens.py).
    ("not_permitted", N_("Only a programme manager administers people.")),
    ("not_permitted", N_("The system role cannot be given to a person.")),
    ("invalid_email", N_("Give the person's e-mail address.")),
    ("user_exists", N_("There is already a person named {name}.")),
    ("unknown_user", N_("There is no person named {name}.")),
    ("last_programme_manager", N_("The last programme manager keeps the role.")),
    ("last_programme_manager", N_("The last active programme manager cannot be deactivated.")),
    ("no_change", N_("{name} already has this role and country.")),
    ("no_second_factor", N_("{name} has no second factor to reset.")),
    ("already_deactivated", N_("{name} is already deactivated.")),
    ("not_deactivated", N_("{name} is not deactivated.")),
    ("not_invited", N_("{name} has already accepted the invitation.")),
    ("country_required", N_("A {role} needs a country (e.g. GHA).")),
    ("country_not_allowed", N_("A {role} acts on all countries.")),
    ("invalid_token_name", N_("Name the token (1 to 80 characters).")),
    ("token_lifetime", N_("A token lives 1 to {days} days.")),
    ("user_not_active", N_("{name} is not active.")),
    ("unknown_token", N_("No such live token.")),
)  # fmt: skip

# plan_not_ready lists its problems as ``reasons``, each a code with its values.
NOT_READY_REASONS: dict[str, str] = {
    "no_milestone": N_("it has no milestone"),
    "no_indicator": N_("it has no indicator"),
    "milestone_outside_period": N_("milestone {milestone_id} is due on {due_date}, outside the plan period {period_start} to {period_end}"),
    "target_equals_baseline": N_("indicator {indicator_id} has a target equal to its baseline"),
    "milestone_without_outcome": N_("milestone {milestone_id} names no outcome"),
    "indicator_without_outcome": N_("indicator {indicator_id} names no outcome"),
    "outcome_without_indicator": N_("outcome {outcome_id} has no indicator (its own or a child's)"),
}  # fmt: skip

_DATE_KEYS = frozenset(
    {
        "due_date",
        "new_due_date",
        "period_start",
        "period_end",
        "latest_period_end",
        "measured_on",
        "today",
        "earliest",
        "latest",
    }
)


def _places(template: str) -> frozenset[str]:
    from string import Formatter

    return frozenset(name for _, name, _, _ in Formatter().parse(template) if name)


def _localized(key: str, value: Any, language: str) -> str:
    """One detail as the sentence shows it."""
    if key == "command_type":
        return command_label(str(value), language)
    if key == "role":
        return role_name(str(value), language).lower()
    if key == "allowed_roles":
        return ", ".join(role_name(str(v), language).lower() for v in value)
    if key == "phase":
        return term(value, language).lower()
    if key == "allowed_phases":
        return ", ".join(term(v, language).lower() for v in value)
    if key == "reasons":
        return "; ".join(_reason(reason, language) for reason in value)
    if key == "missing_key_factors":
        return ", ".join(key_factor_name(str(v), language) for v in value)
    if key in _DATE_KEYS or (key == "value" and _looks_like_date(value)):
        return formatting.day(value, language)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return formatting.number(value, language) if isinstance(value, float) else str(value)
    return str(value)


def _reason(reason: Mapping[str, Any], language: str) -> str:
    """One of plan_not_ready's reasons; an unknown code reads as its words."""
    code = str(reason.get("reason", ""))
    template = NOT_READY_REASONS.get(code)
    if template is None:
        return code.replace("_", " ")
    values = {key: _localized(key, reason.get(key, ""), language) for key in _places(template)}
    return gettext_in(language, template).format(**values)


def _fits_english(template: str, details: Mapping[str, Any], english: str) -> bool:
    """Whether the English template, filled with the raw details, is the domain's sentence."""
    try:
        return template.format(**{k: details[k] for k in _places(template)}) == english
    except (KeyError, IndexError, ValueError):
        return False


def _looks_like_date(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-"


def refusal_message(
    rule: str | None, details: Mapping[str, Any] | None, english: str, language: str
) -> str:
    """The refusal in ``language``; ``english`` (the domain's sentence) when no template
    of ``rule`` fits its details."""
    if not rule or language == SOURCE_LANGUAGE:
        # English readers get the domain's own sentence, the one the rule was written with.
        return english
    present = set(details or {})
    # A template without places says one fixed thing: it stands for the English sentence
    # only when that is the very sentence (a rule can be raised with other words).
    fitting = [
        t
        for r, t in TEMPLATES
        if r == rule and _places(t) <= present and (_places(t) or t == english)
    ]
    if not fitting:
        return english
    # The most places first; between equals, the one that says what the English says.
    template = max(
        fitting, key=lambda t: (len(_places(t)), _fits_english(t, details or {}, english))
    )
    values = {key: _localized(key, (details or {})[key], language) for key in _places(template)}
    try:
        return gettext_in(language, template).format(**values)
    except (KeyError, IndexError, ValueError):
        return template.format(**values)
