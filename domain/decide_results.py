"""decide() rules of the results framework: outcomes, target paths, the final assessment.

Kept apart from domain.decide (the plan's lifecycle) by theme; decide() calls these from
its ``_rules``. Pure, like the rest of domain/.
"""

from __future__ import annotations

from datetime import date, datetime

from domain import errors as r
from domain.commands import (
    AddOutcome,
    DefineIndicator,
    PeriodTargetInput,
    RemoveOutcome,
    ReviseIndicatorTarget,
)
from domain.errors import DomainError
from domain.events import (
    Event,
    IndicatorDefined,
    IndicatorTargetRevised,
    OutcomeAdded,
    OutcomeRemoved,
)
from domain.facts import recorded
from domain.guards import check_new, indicator, known
from domain.state import OutcomeState, PeriodTarget, PlanState


def add_outcome(state: PlanState, c: AddOutcome, by: str, now: datetime) -> list[Event]:
    check_new(state, state.outcomes, "outcome", c.outcome_id, r.DUPLICATE_OUTCOME)
    if c.parent_id is not None:
        parent = known_outcome(state, c.parent_id, field="parent_id")
        if parent.parent_id is not None:
            raise DomainError(
                r.OUTCOME_NESTING,
                f"Outcome {c.parent_id} is a specific outcome; outcomes nest one level "
                f"(general -> specific), so {c.outcome_id} must name a general outcome.",
                {"parent_id": c.parent_id, "its_parent_id": parent.parent_id},
            )
    # Each key factor once, in the order given.
    key_factors = list(dict.fromkeys(c.key_factors))
    return [recorded(OutcomeAdded, c, by, now, key_factors=key_factors)]


def remove_outcome(state: PlanState, c: RemoveOutcome, by: str, now: datetime) -> list[Event]:
    known_outcome(state, c.outcome_id)
    children = sorted(o.outcome_id for o in state.outcomes.values() if o.parent_id == c.outcome_id)
    milestones = sorted(m for m, v in state.milestones.items() if v.outcome_id == c.outcome_id)
    indicators = sorted(i for i, v in state.indicators.items() if v.outcome_id == c.outcome_id)
    if children or milestones or indicators:
        named = [
            f"{label} {', '.join(ids)}"
            for label, ids in (
                ("specific outcomes", children),
                ("milestones", milestones),
                ("indicators", indicators),
            )
            if ids
        ]
        raise DomainError(
            r.OUTCOME_IN_USE,
            f"Outcome {c.outcome_id} still has {'; '.join(named)}; remove or move them first.",
            {
                "outcome_id": c.outcome_id,
                "outcomes": children,
                "milestones": milestones,
                "indicators": indicators,
            },
        )
    return [recorded(OutcomeRemoved, c, by, now)]


def known_outcome(state: PlanState, outcome_id: str, field: str = "outcome_id") -> OutcomeState:
    return known(state, state.outcomes, "outcome", outcome_id, r.UNKNOWN_OUTCOME, field)


def check_period_targets(state: PlanState, targets: list[PeriodTargetInput]) -> None:
    """Dates strictly increasing and strictly inside the plan period: the path starts at
    the baseline on period_start and ends at the indicator's target on period_end."""
    previous: date | None = None
    for n, p in enumerate(targets):
        if not state.period_start < p.due < state.period_end:
            raise DomainError(
                r.INVALID_PERIOD_TARGETS,
                f"Period target {n + 1} is due on {p.due}, not inside the plan period "
                f"{state.period_start} to {state.period_end} (the end target is the "
                f"indicator's target).",
                {"index": n, "due": p.due.isoformat()},
            )
        if previous is not None and p.due <= previous:
            raise DomainError(
                r.INVALID_PERIOD_TARGETS,
                f"Period targets must be in strictly increasing date order; {p.due} follows "
                f"{previous}.",
                {"index": n, "due": p.due.isoformat(), "previous_due": previous.isoformat()},
            )
        previous = p.due


def _path(targets: list[PeriodTargetInput]) -> list[PeriodTarget]:
    return [PeriodTarget(due=p.due, target=p.target) for p in targets]


def define_indicator(state: PlanState, c: DefineIndicator, by: str, now: datetime) -> list[Event]:
    check_new(state, state.indicators, "indicator", c.indicator_id, r.DUPLICATE_INDICATOR)
    if c.outcome_id is not None:
        known_outcome(state, c.outcome_id)
    check_period_targets(state, c.period_targets)
    if c.baseline_date is not None and c.baseline_date > state.period_end:
        raise DomainError(
            r.OUT_OF_PERIOD,
            f"The baseline date {c.baseline_date} is after the plan period ends on "
            f"{state.period_end}.",
            {
                "baseline_date": c.baseline_date.isoformat(),
                "period_end": state.period_end.isoformat(),
            },
        )
    return [recorded(IndicatorDefined, c, by, now, period_targets=_path(c.period_targets))]


def revise_target(
    state: PlanState, c: ReviseIndicatorTarget, by: str, now: datetime
) -> list[Event]:
    i = indicator(state, c.indicator_id)
    if c.new_target == i.baseline:
        raise DomainError(
            r.TARGET_EQUALS_BASELINE,
            f"The new target of {c.indicator_id} equals its baseline {i.baseline:g}; "
            f"progress could not be measured.",
            {"indicator_id": c.indicator_id, "baseline": i.baseline},
        )
    new_path = None if c.new_period_targets is None else _path(c.new_period_targets)
    if c.new_period_targets is not None:
        check_period_targets(state, c.new_period_targets)
    if c.new_target == i.target and (new_path is None or new_path == i.period_targets):
        raise DomainError(
            r.INVALID_VALUE,
            f"Indicator {c.indicator_id} already has the target {i.target:g}"
            f"{'' if new_path is None else ' and these period targets'}.",
            {"indicator_id": c.indicator_id, "target": i.target},
        )
    return [
        recorded(
            IndicatorTargetRevised,
            c,
            by,
            now,
            previous_target=i.target,
            previous_period_targets=None if new_path is None else i.period_targets,
            new_period_targets=new_path,
        )
    ]


def check_measured_after_baseline(state: PlanState, indicator_id: str, measured_on: date) -> None:
    """An indicator with a baseline_date is measured from then on (the baseline may predate
    the plan, e.g. the last survey); without one, from period_start (domain.calendar)."""
    i = indicator(state, indicator_id)
    if i.baseline_date is not None and measured_on < i.baseline_date:
        raise DomainError(
            r.MEASURED_BEFORE_PERIOD,
            f"A measurement of {indicator_id} dated {measured_on} is before its baseline "
            f"date {i.baseline_date}.",
            {
                "measured_on": measured_on.isoformat(),
                "baseline_date": i.baseline_date.isoformat(),
            },
        )
