"""Property tests: random plausible command sequences against the invariants of the model.

- folding every produced event from scratch equals the running state;
- a refused command changes nothing (state and version);
- state and events round-trip through JSON;
- the time rules: due_events yields something exactly when next_deadline has come, and the
  next deadline then moves past ``now``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import event as observe
from hypothesis import strategies as st

from domain import (
    COMMAND_ROLES,
    COMMAND_TYPES,
    Actor,
    DomainError,
    KeyFactor,
    Phase,
    PlanState,
    decide,
    due_events,
    event_data,
    evolve,
    evolve_owned,
    fold,
    next_deadline,
    parse_command,
    parse_event,
)
from domain.events import Event
from tests.support.hypothesis_profiles import examples
from tests.unit.domain_builders import AUDITOR, FP, FP_OTHER, HOA, PM, PM2, T0

ACTORS = [PM, PM2, FP, HOA, FP_OTHER, AUDITOR]
PERIOD_START = date(2026, 1, 1)
PERIOD_END = date(2027, 6, 30)
MILESTONES = ["M1", "M2", "M3"]
INDICATORS = ["I1", "I2"]
OUTCOMES = ["O1", "O2"]
TEXT = st.sampled_from(["ok", "Needs work.", "  padded  "])


def _one_in(data: st.DataObject, n: int) -> bool:
    """True about once in ``n`` draws. Compared with 1, not 0: hypothesis favours the bounds of
    a range, and the rare branch should not be the one it favours."""
    return data.draw(st.integers(0, n - 1)) == 1


def _date_near_period(data: st.DataObject) -> str:
    offset = data.draw(st.integers(-5, (PERIOD_END - PERIOD_START).days + 5))
    return (PERIOD_START + timedelta(days=offset)).isoformat()


def _command_fields(data: st.DataObject, state: PlanState | None, now: datetime) -> dict[str, Any]:
    phase = None if state is None else state.phase
    by_phase: dict[Phase | None, list[str]] = {
        None: ["open_plan"],
        Phase.DIAGNOSTIC: ["record_diagnostic_finding"] * 8 + ["complete_diagnostic"] * 2,
        Phase.DRAFTING: ["add_milestone"] * 3
        + ["define_indicator"] * 3
        + ["add_outcome", "remove_outcome"]
        + ["remove_milestone", "remove_indicator"]
        + ["submit_for_approval"] * 2,
        Phase.UNDER_REVIEW: ["approve_plan"] * 4 + ["request_changes"],
        Phase.IMPLEMENTATION: [
            "report_milestone_progress",
            "complete_milestone",
            "reschedule_milestone",
            "record_measurement",
            "revise_indicator_target",
            "start_evaluation",
        ],
        Phase.EVALUATION: ["record_measurement", "record_final_assessment", "set_plan_donors"]
        + ["rate_key_factor"] * 4
        + ["close_plan"] * 2,
        Phase.CLOSED: ["close_plan"],
        Phase.CANCELLED: ["complete_diagnostic"],
    }
    # Mostly commands that fit the phase; sometimes any command, to exercise refusals.
    plausible = by_phase[phase]
    type_ = data.draw(
        st.sampled_from([t for t in COMMAND_TYPES if t != "cancel_plan"])
        if _one_in(data, 10)
        else st.sampled_from(plausible)
    )
    missing = [k for k in KeyFactor if state is None or k not in state.findings] or list(KeyFactor)
    fields: dict[str, Any] = {"type": type_}
    if type_ == "open_plan":
        fields |= {
            "country": data.draw(st.sampled_from(["GHA"] * 5 + ["SEN"])),
            "administration": "Ghana Revenue Authority",
            "title": "Plan",
            "period_start": PERIOD_START.isoformat(),
            "period_end": data.draw(st.sampled_from([PERIOD_END] * 5 + [PERIOD_START])).isoformat(),
            "reminder_policy": {
                "due_soon_days": data.draw(st.integers(1, 10)),
                "repeat_every_days": data.draw(st.integers(1, 10)),
                "escalate_after_days": data.draw(st.integers(1, 20)),
            },
        }
    elif type_ == "record_diagnostic_finding":
        fields |= {
            "key_factor": data.draw(st.sampled_from(missing[:1] * 30 + list(KeyFactor))),
            "maturity": data.draw(st.integers(1, 5)),
            "summary": data.draw(TEXT),
        }
    elif type_ == "add_milestone":
        fields |= {
            "milestone_id": data.draw(st.sampled_from(MILESTONES)),
            "title": "t",
            "key_factor": data.draw(st.sampled_from(list(KeyFactor)[:3])),
            "due_date": _date_near_period(data),
        }
        if _one_in(data, 3):
            fields["outcome_id"] = data.draw(st.sampled_from(OUTCOMES))
    elif type_ == "add_outcome":
        fields |= {
            "outcome_id": data.draw(st.sampled_from(OUTCOMES)),
            "title": "o",
            "key_factors": [data.draw(st.sampled_from(list(KeyFactor)[:3]))],
        }
        if _one_in(data, 2):
            fields["parent_id"] = data.draw(st.sampled_from(OUTCOMES))
    elif type_ == "remove_outcome":
        fields["outcome_id"] = data.draw(st.sampled_from(OUTCOMES))
    elif type_ == "record_final_assessment":
        fields |= {
            "key_factor": data.draw(st.sampled_from(list(KeyFactor)[:3])),
            "maturity": data.draw(st.integers(1, 5)),
            "summary": data.draw(TEXT),
        }
    elif type_ in ("remove_milestone", "complete_milestone", "report_milestone_progress"):
        fields |= {"milestone_id": data.draw(st.sampled_from(MILESTONES))}
        if type_ == "complete_milestone":
            fields["evidence"] = data.draw(TEXT)
        if type_ == "report_milestone_progress":
            fields |= {"percent": data.draw(st.integers(0, 100)), "note": data.draw(TEXT)}
    elif type_ == "reschedule_milestone":
        fields |= {
            "milestone_id": data.draw(st.sampled_from(MILESTONES)),
            "new_due_date": _date_near_period(data),
            "reason": data.draw(TEXT),
        }
    elif type_ == "define_indicator":
        fields |= {
            "indicator_id": data.draw(st.sampled_from(INDICATORS)),
            "name": "n",
            "key_factor": data.draw(st.sampled_from(list(KeyFactor)[:3])),
            "unit": "%",
            "baseline": data.draw(st.integers(0, 3)),
            "target": data.draw(st.integers(0, 100)),
            "reporting_frequency": data.draw(
                st.sampled_from(["quarterly", "semiannual", "annual", "biennial"])
            ),
        }
        if _one_in(data, 3):
            fields["outcome_id"] = data.draw(st.sampled_from(OUTCOMES))
        if _one_in(data, 3):
            # Sometimes out of order or outside the period, to exercise the refusal.
            fields["period_targets"] = [
                {"due": _date_near_period(data), "target": data.draw(st.integers(0, 100))}
                for _ in range(data.draw(st.integers(1, 3)))
            ]
    elif type_ == "remove_indicator":
        fields["indicator_id"] = data.draw(st.sampled_from(INDICATORS))
    elif type_ == "record_measurement":
        fields |= {
            "indicator_id": data.draw(st.sampled_from(INDICATORS)),
            "value": data.draw(st.floats(-10, 200, allow_nan=False)),
            "measured_on": (
                now.date() - timedelta(days=data.draw(st.integers(-1, 400)))
            ).isoformat(),
        }
    elif type_ == "revise_indicator_target":
        fields |= {
            "indicator_id": data.draw(st.sampled_from(INDICATORS)),
            "new_target": data.draw(st.integers(0, 100)),
            "reason": data.draw(TEXT),
        }
        if _one_in(data, 3):
            fields["new_period_targets"] = [
                {"due": _date_near_period(data), "target": data.draw(st.integers(0, 100))}
            ]
    elif type_ == "rate_key_factor":
        fields |= {
            "key_factor": data.draw(st.sampled_from(list(KeyFactor)[:3])),
            "rating": data.draw(
                st.sampled_from(["achieved", "partially_achieved", "not_achieved"])
            ),
            "note": data.draw(TEXT),
        }
    elif type_ in ("request_changes", "cancel_plan"):
        fields["reason"] = data.draw(TEXT)
    elif type_ == "close_plan":
        fields["summary"] = data.draw(TEXT)
    elif type_ == "set_plan_donors":
        fields |= {
            "donors": data.draw(st.sampled_from([[], ["norad"], ["norad", "canada"]])),
            "reason": data.draw(TEXT),
        }
    elif type_ == "approve_plan":
        fields["comment"] = data.draw(st.sampled_from(["", "Agreed."]))
    if state is not None and _one_in(data, 10):
        fields["expected_version"] = state.version + data.draw(st.integers(-1, 1))
    if state is not None and _one_in(data, 600):
        fields = {"type": "cancel_plan", "reason": "stop"}
    return fields


def _actor(data: st.DataObject, state: PlanState | None, type_: str) -> Actor:
    """Usually someone who may send the command (else nearly everything is refused early),
    now and then anyone, to exercise the access policy."""
    if _one_in(data, 8):
        return data.draw(st.sampled_from(ACTORS))
    if type_ == "approve_plan" and state is not None:
        done = {a.role for a in state.approvals}
        likely = [a for a in (HOA, PM, PM2) if a.role not in done and a.name != state.submitted_by]
    elif type_ == "request_changes":
        likely = [HOA, PM]
    elif type_ in COMMAND_ROLES and FP.role in COMMAND_ROLES[type_]:
        likely = [FP, PM]
    else:
        likely = [PM, PM2]
    return data.draw(st.sampled_from(likely or ACTORS))


# A plausible opening, of which a random prefix starts each history, so the random steps
# spend their budget in every phase rather than mostly in the diagnostic.
SCRIPT: list[tuple[dict[str, Any], Actor]] = [
    (
        {
            "type": "open_plan",
            "country": "GHA",
            "administration": "Ghana Revenue Authority",
            "title": "Plan",
            "period_start": PERIOD_START.isoformat(),
            "period_end": PERIOD_END.isoformat(),
        },
        PM,
    ),
    *[
        (
            {"type": "record_diagnostic_finding", "key_factor": k, "maturity": 3, "summary": "s"},
            FP,
        )
        for k in KeyFactor
    ],
    ({"type": "complete_diagnostic"}, FP),
    (
        {
            "type": "add_milestone",
            "milestone_id": "M1",
            "title": "t",
            "key_factor": "transparency",
            "due_date": "2026-03-31",
        },
        FP,
    ),
    (
        {
            "type": "define_indicator",
            "indicator_id": "I1",
            "name": "n",
            "key_factor": "automation",
            "unit": "%",
            "baseline": 0,
            "target": 10,
        },
        FP,
    ),
    ({"type": "submit_for_approval"}, FP),
    ({"type": "approve_plan"}, HOA),
    ({"type": "approve_plan"}, PM),
]


def _tick(state: PlanState, now: datetime) -> list[Event]:
    """The workflow's timer step, with the time-rule properties checked on the way."""
    deadline = next_deadline(state)
    events = due_events(state, now)
    assert bool(events) == (deadline is not None and now >= deadline)
    return events


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_random_histories(data: st.DataObject) -> None:
    state: PlanState | None = None
    history: list[Event] = []
    now = T0
    # Deep prefixes first: hypothesis favours the first entries of sampled_from.
    prefix = data.draw(st.sampled_from([len(SCRIPT), 16, 14, 12, 1, 0]), label="prefix")
    for fields, actor in SCRIPT[:prefix]:
        for e in decide(state, parse_command(fields), actor, now):
            state = evolve(state, e)
            history.append(e)
    for _ in range(data.draw(st.integers(1, 60), label="steps")):
        hours = st.one_of(st.integers(0, 72), st.integers(0, 24 * 60))
        now += timedelta(hours=data.draw(hours, label="hours"))
        ticked = state is not None and _one_in(data, 6)
        if state is not None and ticked:
            events = _tick(state, now)
        else:
            fields = _command_fields(data, state, now)
            command = parse_command(fields)
            actor = _actor(data, state, command.type)
            before = state
            try:
                events = decide(state, command, actor, now)
            except DomainError as refusal:
                assert refusal.rule and refusal.message
                assert state == before
                assert state is None or state.version == before.version  # type: ignore[union-attr]
                continue
            assert events, "a valid command yields at least one event"
        for event in events:
            assert parse_event(event.type, event_data(event)) == event
            state = evolve(state, event)
            history.append(event)
        if state is not None and ticked:
            # After a timer step nothing is due any more: the next deadline lies ahead.
            deadline = next_deadline(state)
            assert deadline is None or deadline > now
    if state is None:
        return
    observe(f"final phase: {state.phase}")
    for t in sorted({e.type for e in history}):
        observe(t)
    assert state.version == len(history)
    assert fold(history) == state
    owned = None
    for event in history:
        # A rebuild's fold: the same states, changed in place.
        owned = evolve_owned(owned, event)
    assert owned == state and owned.__pydantic_fields_set__ == state.__pydantic_fields_set__
    assert PlanState.model_validate_json(state.model_dump_json()) == state
    # Fold is resumable: any prefix state plus the rest gives the same result.
    cut = data.draw(st.integers(0, len(history)), label="cut")
    assert fold(history[cut:], fold(history[:cut])) == state


@settings(max_examples=examples(40), deadline=None)
@given(st.lists(st.integers(0, 24 * 60), min_size=1, max_size=12), st.integers(1, 400))
def test_timer_ticks_never_burst(gaps_hours: list[int], due_in: int) -> None:
    """However irregular the wake-ups, each wake-up yields at most one event per kind and
    milestone, and the state never records two overdue episodes for one due date."""
    from tests.unit.domain_builders import add_milestone, cmd, define_indicator, drafting, run

    start = datetime(2026, 1, 5, 10, tzinfo=T0.tzinfo)
    state = define_indicator(add_milestone(drafting(), due=start.date() + timedelta(days=due_in)))
    state = run(state, cmd("submit_for_approval"), FP, start)[0]
    state = run(state, cmd("approve_plan"), HOA, start)[0]
    state = run(state, cmd("approve_plan"), PM, start)[0]
    now = start
    overdue_count = 0
    for gap in gaps_hours:
        now += timedelta(hours=gap)
        events = due_events(state, now)
        kinds = [(e.type, getattr(e, "kind", None)) for e in events]
        assert len(kinds) == len(set(kinds))
        overdue_count += sum(e.type == "milestone_overdue" for e in events)
        state = fold(events, state)  # type: ignore[assignment]
        assert state is not None
    assert overdue_count <= 1
