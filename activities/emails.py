"""The words of a notification e-mail, in the recipient's language.

Dates are written for that language (Babel); the plan's and milestone's titles are what
people wrote and are never translated. The subject keeps the plan id in brackets, so a
mail client threads a plan's messages together whatever the language.
"""

from __future__ import annotations

from contracts.temporal import NotificationInput
from locales.catalogs import gettext_in
from locales.formatting import day


def notification_kind(input: NotificationInput) -> str:
    """The record's kind: ``escalation``, or the reminder's own (``due_soon``, ``overdue``)."""
    if input.event.type == "milestone_escalated":
        return "escalation"
    return str(input.event.data.get("kind", "reminder"))


def compose(input: NotificationInput, language: str = "en") -> tuple[str, str, str]:
    """Return (kind, subject, body) for a reminder or an escalation, in ``language``."""

    def _(message: str) -> str:
        return gettext_in(language, message)

    data = input.event.data
    kind = notification_kind(input)
    values = {
        "plan_id": input.plan_id,
        "plan": input.plan_title,
        "milestone": input.milestone_title or str(data.get("milestone_id")),
        "indicator": input.indicator_name or str(data.get("indicator_id")),
        "due": day(data.get("due_date"), language),
        "since": day(data.get("overdue_since"), language),
    }
    prefix = _("[A-CIP {plan_id}]").format(**values)
    if kind == "escalation":
        subject = _("Escalation: milestone '{milestone}' is overdue")
        body = _(
            "The milestone '{milestone}' of the action plan '{plan}' ({plan_id}) has been "
            "overdue since {since} and is escalated to the head of administration and the "
            "programme managers."
        )
    elif kind == "measurement_due":
        subject = _("A measurement of '{indicator}' is due")
        body = _(
            "The indicator '{indicator}' of the action plan '{plan}' ({plan_id}) has no "
            "measurement for the reporting period ending {due}. Please record one, dated inside "
            "the period, so the results framework reported to the donors stays current."
        )
    elif kind == "due_soon":
        subject = _("Milestone '{milestone}' is due on {due}")
        body = _(
            "Reminder: the milestone '{milestone}' of the action plan '{plan}' ({plan_id}) is "
            "due on {due}."
        )
    else:
        subject = _("Milestone '{milestone}' is overdue")
        body = _(
            "The milestone '{milestone}' of the action plan '{plan}' ({plan_id}) was due on "
            "{due} and is not completed. Please report progress or ask the programme manager "
            "to reschedule it."
        )
    signature = _("A-CIP action plans, WCO Anti-Corruption and Integrity Promotion Programme")
    return (
        kind,
        f"{prefix} {subject.format(**values)}",
        f"{body.format(**values)}\n\n-- \n{signature}\n",
    )
