"""Every event type has a one-sentence description for the audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain import EVENT_TYPES, describe, parse_event

AT = "2026-03-02T10:00:00Z"
# Every event as schema version 1 stored it (by, recorded_by, opened_at, …): parsed through
# the upcasters, so these tests also show that old events still read.
SAMPLE: dict[str, dict[str, object]] = {
    "plan_opened": {
        "plan_id": "GHA-2026",
        "country": "GHA",
        "administration": "Ghana Revenue Authority",
        "title": "Plan",
        "period_start": "2026-01-01",
        "period_end": "2027-12-31",
        "opened_by": "Pat",
        "opened_at": AT,
    },
    "diagnostic_finding_recorded": {
        "key_factor": "automation",
        "maturity": 2,
        "summary": "s",
        "recorded_by": "Kofi",
        "at": AT,
    },
    "diagnostic_completed": {"by": "Kofi", "at": AT},
    "milestone_added": {
        "milestone_id": "M1",
        "title": "Publish",
        "key_factor": "automation",
        "due_date": "2026-05-01",
        "by": "Kofi",
        "at": AT,
    },
    "milestone_removed": {"milestone_id": "M1", "by": "Kofi", "at": AT},
    "indicator_defined": {
        "indicator_id": "I1",
        "name": "Share",
        "key_factor": "automation",
        "unit": "%",
        "baseline": 10,
        "target": 50,
        "by": "Kofi",
        "at": AT,
    },
    "indicator_removed": {"indicator_id": "I1", "by": "Kofi", "at": AT},
    "plan_submitted": {"submitted_by": "Kofi", "at": AT},
    "plan_approval_granted": {"approver": "Ama Mensah", "role": "head_of_administration", "at": AT},
    "plan_approved": {"approvers": ["Ama Mensah", "Pat"], "at": AT},
    "plan_changes_requested": {
        "by": "Ama",
        "role": "head_of_administration",
        "reason": "r.",
        "at": AT,
    },
    "milestone_progress_reported": {
        "milestone_id": "M1",
        "percent": 40,
        "note": "n",
        "by": "K",
        "at": AT,
    },
    "milestone_completed": {"milestone_id": "M1", "evidence": "e", "by": "K", "at": AT},
    "milestone_rescheduled": {
        "milestone_id": "M1",
        "previous_due_date": "2026-05-01",
        "new_due_date": "2026-06-01",
        "reason": "r",
        "by": "Pat",
        "at": AT,
    },
    "indicator_measured": {
        "indicator_id": "I1",
        "value": 20.5,
        "measured_on": "2026-03-01",
        "recorded_by": "K",
        "recorded_at": AT,
    },
    "indicator_target_revised": {
        "indicator_id": "I1",
        "previous_target": 50,
        "new_target": 40,
        "reason": "r",
        "by": "Pat",
        "at": AT,
    },
    "evaluation_started": {"by": "system", "at": AT},
    "key_factor_rated": {
        "key_factor": "automation",
        "rating": "partially_achieved",
        "note": "n",
        "by": "P",
        "at": AT,
    },
    "plan_closed": {"summary": "s", "by": "Pat", "at": AT},
    "plan_cancelled": {"reason": "Programme ended", "by": "Pat", "at": AT},
    "plan_donors_changed": {
        "donors": ["norad", "canada"],
        "previous": ["norad"],
        "reason": "Canada co-funds",
        "actor": "Pat",
        "at": AT,
    },
    "reminder_sent": {"milestone_id": "M1", "kind": "overdue", "due_date": "2026-05-01", "at": AT},
    "milestone_overdue": {"milestone_id": "M1", "due_date": "2026-05-01", "overdue_since": AT},
    "milestone_escalated": {
        "milestone_id": "M1",
        "due_date": "2026-05-01",
        "overdue_since": AT,
        "at": AT,
    },
    # Events of the results framework: version 1 is their first shape.
    "outcome_added": {
        "outcome_id": "O1.1",
        "title": "Tariff rulings are public",
        "key_factors": ["transparency"],
        "parent_id": "O1",
        "actor": "Kofi",
        "at": AT,
    },
    "outcome_removed": {"outcome_id": "O1", "actor": "Kofi", "at": AT},
    "final_assessment_recorded": {
        "key_factor": "transparency",
        "maturity": 4,
        "summary": "Published weekly",
        "actor": "Pat",
        "at": AT,
    },
    "measurement_due": {
        "indicator_id": "I1",
        "period_starts": "2026-01-01",
        "period_ends": "2026-03-31",
        "missed_periods": 3,
        "at": AT,
    },
}


def test_free_text_a_person_wrote_is_in_the_sentence() -> None:
    """Reasons, notes, evidence and the closing summary are read in the timeline."""
    cases = {
        "milestone_rescheduled": "Union consultation took longer",
        "indicator_target_revised": "Staff grew",
        "key_factor_rated": "n",
        "plan_closed": "s",
        "plan_changes_requested": "r.",
        "milestone_progress_reported": "Draft out",
        "milestone_completed": "Circular 14",
    }
    for type_, text in cases.items():
        data = dict(SAMPLE[type_])
        for field in ("reason", "note", "summary", "evidence"):
            if field in data:
                data[field] = text
        assert text.rstrip(".") in describe(parse_event(type_, data, 1)), type_


def test_measurement_due_sentences() -> None:
    due = parse_event("measurement_due", SAMPLE["measurement_due"], 1)
    assert describe(due) == (
        "Indicator I1 has no measurement for the reporting period 2026-01-01 to 2026-03-31 "
        "(3 periods missed in all)."
    )
    reminder = parse_event(
        "reminder_sent",
        {"indicator_id": "I1", "kind": "measurement_due", "due_date": "2026-03-31", "at": AT},
        2,
    )
    assert "indicator I1" in describe(reminder)
    specific = parse_event("outcome_added", SAMPLE["outcome_added"], 1)
    assert (
        describe(specific)
        == 'Kofi added specific outcome O1.1 "Tariff rulings are public" under O1.'
    )


def test_samples_cover_every_event_type() -> None:
    assert set(SAMPLE) == set(EVENT_TYPES)


@pytest.mark.parametrize("type_", EVENT_TYPES)
def test_one_sentence_per_event(type_: str) -> None:
    text = describe(parse_event(type_, SAMPLE[type_], 1))
    assert text[0].isupper()
    assert text.endswith(".")
    assert "\n" not in text


def test_approval_sentence() -> None:
    event = parse_event("plan_approval_granted", SAMPLE["plan_approval_granted"], 1)
    assert describe(event) == "Ama Mensah approved the plan as head of administration."


def test_actor_name_overrides() -> None:
    event = parse_event("plan_submitted", SAMPLE["plan_submitted"], 1)
    assert describe(event, "Kofi Mensah") == "Kofi Mensah submitted the plan for approval."


def test_time_and_people_in_sentences() -> None:
    reminder = parse_event("reminder_sent", SAMPLE["reminder_sent"], 1)
    assert "2026-05-01" in describe(reminder)
    started = parse_event("evaluation_started", SAMPLE["evaluation_started"], 1)
    assert describe(started) == "The plan period ended and the evaluation started."
    assert describe(started.model_copy(update={"actor": "Pat"})) == "Pat started the evaluation."
    measured = parse_event("indicator_measured", SAMPLE["indicator_measured"], 1)
    assert "20.5" in describe(measured)
    assert date(2026, 3, 1).isoformat() in describe(measured)
    assert datetime(2026, 3, 2, tzinfo=UTC).date().isoformat() in describe(
        parse_event("milestone_escalated", SAMPLE["milestone_escalated"], 1)
    )
