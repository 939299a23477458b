"""Realistic plan histories for tests and benchmarks, made by the domain itself.

Every event comes out of ``decide`` (or ``due_events`` for the time rules) with a fake clock
that only moves forward, and is folded with ``evolve`` before the next decision: the same
path the workflow takes, without Temporal. Each decision becomes one append, as the
workflow's ``append_events`` activity would make it, with the workflow's metadata.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain import (
    SYSTEM_ACTOR,
    Actor,
    DomainError,
    Event,
    KeyFactor,
    Phase,
    PlanState,
    Role,
    decide,
    due_events,
    evolve,
    next_deadline,
    parse_command,
)
from domain.countries import country_codes
from domain.events import envelope_fields
from eventstore import EventStore, NewEvent

MANAGER = Actor(name="wco.manager", role=Role.PROGRAMME_MANAGER)


@dataclass
class Append:
    """One append: the events one decision produced, for one stream."""

    stream_id: str
    expected_version: int
    events: list[NewEvent]


@dataclass
class _Plan:
    rng: random.Random
    plan_id: str
    focal: Actor
    head: Actor
    now: datetime
    state: PlanState | None = None
    appends: list[Append] = field(default_factory=list)

    def _metadata(self, actor: Actor) -> dict[str, Any]:
        command_id = None if actor is SYSTEM_ACTOR else str(self._uuid())
        return {
            "actor": actor.name,
            "role": str(actor.role),
            "command_id": command_id,
            "correlation_id": str(self._uuid()),
            "causation_id": command_id,
            "workflow_id": f"plan-{self.plan_id}",
            "trace_id": None,
        }

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _record(self, events: list[Event], actor: Actor, at: datetime) -> None:
        expected = self.state.version if self.state else 0
        metadata = self._metadata(actor)
        self.appends.append(
            Append(
                stream_id=f"plan-{self.plan_id}",
                expected_version=expected,
                events=[
                    NewEvent(
                        event_id=self._uuid(),
                        **envelope_fields(event),
                        metadata=metadata,
                        occurred_at=at,
                    )
                    for event in events
                ],
            )
        )
        for event in events:
            self.state = evolve(self.state, event)

    def send(self, actor: Actor, **command: Any) -> bool:
        """Decide and record; a refusal (the random walk asked for something the rules
        forbid) records nothing and returns False."""
        try:
            events = decide(self.state, parse_command(command), actor, self.now)
        except DomainError:
            return False
        self._record(events, actor, self.now)
        return True

    def advance(self, days: float) -> None:
        """Move the clock, firing every deadline on the way at its own instant, as the
        workflow's timer would."""
        target = self.now + timedelta(days=days)
        while self.state is not None:
            deadline = next_deadline(self.state)
            if deadline is None or deadline > target:
                break
            at = max(deadline, self.now)
            events = due_events(self.state, at)
            if not events:
                break
            self.now = at
            self._record(events, SYSTEM_ACTOR, at)
        self.now = max(self.now, target)


def country_code(index: int) -> str:
    """ABW, AFG, AGO, … : the assigned ISO 3166-1 alpha-3 codes in turn (a plan's country
    must be a real one)."""
    codes = country_codes()
    return codes[index % len(codes)]


def opened_plan(
    rng: random.Random,
    country: str,
    year: int,
    start: date,
    end: date,
    *,
    title: str,
    donor_sets: Sequence[list[str]] = (),
) -> _Plan:
    """A plan of ``country`` for ``year`` opened by the manager in the autumn before it,
    with its focal point and head of administration, funded by one of ``donor_sets``
    (drawn after the opening time, as the histories were first generated), or by none."""
    lower = country.lower()
    plan = _Plan(
        rng=rng,
        plan_id=f"{country}-{year}",
        focal=Actor(name=f"{lower}.focal", role=Role.FOCAL_POINT, country=country),
        head=Actor(name=f"{lower}.head", role=Role.HEAD_OF_ADMINISTRATION, country=country),
        now=datetime(year - 1, 10, 1, 9, tzinfo=UTC) + timedelta(minutes=rng.randrange(600)),
    )
    plan.send(
        MANAGER,
        type="open_plan",
        country=country,
        administration=f"Customs administration of {country}",
        title=title,
        period_start=start.isoformat(),
        period_end=end.isoformat(),
        **({"donors": rng.choice(donor_sets)} if donor_sets else {}),
    )
    return plan


def plan_history(index: int, *, seed: int = 0, implementation_steps: int = 50) -> list[Append]:
    """One plan's appends; about 100 events with the default ``implementation_steps``."""
    rng = random.Random(seed * 1_000_003 + index)
    country = country_code(index)
    # One plan id per index: the next year once every country has one.
    year = 2020 + index // len(country_codes())
    start = date(year, 1, 1)
    end = start + timedelta(days=rng.choice((364, 547, 729)))
    plan = opened_plan(rng, country, year, start, end, title=f"A-CIP action plan {year}")
    if rng.random() < 0.03:
        plan.advance(3)
        plan.send(MANAGER, type="cancel_plan", reason="The administration withdrew.")
        return plan.appends
    _diagnose(plan)
    _draft(plan, start, end)
    _approve(plan)
    _implement(plan, implementation_steps)
    _evaluate(plan)
    return plan.appends


def _diagnose(plan: _Plan) -> None:
    factors = list(KeyFactor)
    plan.rng.shuffle(factors)
    for factor in [*factors, *plan.rng.sample(factors, plan.rng.randrange(3))]:
        plan.advance(plan.rng.uniform(0.5, 3))
        plan.send(
            plan.focal,
            type="record_diagnostic_finding",
            key_factor=factor.value,
            maturity=plan.rng.randint(1, 5),
            summary=f"Assessment of {factor.label}",
        )
    plan.send(plan.focal, type="complete_diagnostic")


# The results framework of every synthetic plan: two general outcomes, one with a specific
# outcome under it, as a Project Information Document is written.
OUTCOMES = (("O1", None), ("O1.1", "O1"), ("O2", None))
FREQUENCIES = ("quarterly", "semiannual", "annual", "annual", "biennial")


def _draft(plan: _Plan, start: date, end: date) -> None:
    rng = plan.rng
    span = (end - start).days
    factors = rng.sample(list(KeyFactor), rng.randint(3, 7))
    for outcome_id, parent in OUTCOMES:
        plan.advance(rng.uniform(0.2, 2))
        plan.send(
            plan.focal,
            type="add_outcome",
            outcome_id=outcome_id,
            title=f"Outcome {outcome_id}",
            key_factors=[f.value for f in rng.sample(factors, 2)],
            **({"parent_id": parent} if parent else {}),
        )
    outcome_ids = [o for o, _ in OUTCOMES]
    for n in range(1, rng.randint(5, 10) + 1):
        plan.advance(rng.uniform(0.2, 2))
        plan.send(
            plan.focal,
            type="add_milestone",
            milestone_id=f"M{n}",
            title=f"Milestone {n}",
            key_factor=rng.choice(factors).value,
            due_date=(start + timedelta(days=rng.randrange(30, span))).isoformat(),
            outcome_id=rng.choice(outcome_ids),
        )
    for n in range(1, rng.randint(3, 6) + 1):
        baseline = float(rng.randrange(0, 50))
        target = baseline + rng.randrange(10, 50)
        # Every outcome gets an indicator (the first ones), the rest anywhere.
        path = (
            [{"due": (start + timedelta(days=span // 2)).isoformat(), "target": baseline + 1}]
            if rng.random() < 0.5
            else []
        )
        plan.advance(rng.uniform(0.2, 2))
        plan.send(
            plan.focal,
            type="define_indicator",
            indicator_id=f"I{n}",
            name=f"Indicator {n}",
            key_factor=rng.choice(factors).value,
            unit="percent",
            baseline=baseline,
            target=target,
            outcome_id=("O1.1", "O2")[n - 1] if n <= 2 else rng.choice(outcome_ids),
            reporting_frequency=rng.choice(FREQUENCIES),
            period_targets=path,
        )
    if rng.random() < 0.3:
        plan.send(plan.focal, type="remove_milestone", milestone_id="M1")


def _approve(plan: _Plan) -> None:
    plan.advance(plan.rng.uniform(1, 5))
    plan.send(plan.focal, type="submit_for_approval")
    if plan.rng.random() < 0.3:
        plan.advance(plan.rng.uniform(1, 5))
        plan.send(plan.head, type="approve_plan", comment="Agreed")
        plan.send(MANAGER, type="request_changes", reason="Indicators need sources.")
        plan.advance(plan.rng.uniform(1, 5))
        plan.send(plan.focal, type="submit_for_approval")
    plan.advance(plan.rng.uniform(1, 5))
    plan.send(plan.head, type="approve_plan", comment="Agreed for the administration")
    plan.send(MANAGER, type="approve_plan", comment="Agreed for the WCO")
    # Start implementation on the first day of the period (timers fire from there).
    if plan.state is not None and plan.state.phase is Phase.IMPLEMENTATION:
        first_day = datetime.combine(plan.state.period_start, datetime.min.time(), UTC)
        plan.now = max(plan.now, first_day)


def _implement(plan: _Plan, steps: int) -> None:
    state = plan.state
    if state is None or state.phase is not Phase.IMPLEMENTATION:
        return
    span = (state.period_end - state.period_start).days + 1
    for _ in range(steps):
        plan.advance(plan.rng.uniform(0.3, 2.0) * span / steps)
        state = plan.state
        if state is None or state.phase is not Phase.IMPLEMENTATION:
            return
        if plan.rng.random() < 0.001:
            plan.send(MANAGER, type="cancel_plan", reason="Funding ended.")
            return
        _random_step(plan, state)
    # Let the period run out: evaluation_started is raised by time.
    plan.advance(span)


def _random_step(plan: _Plan, state: PlanState) -> None:
    rng = plan.rng
    roll = rng.random()
    # Focal points mostly work on what is due first.
    open_milestones = sorted(
        (s.due_date, m) for m, s in state.milestones.items() if s.status != "completed"
    )
    if (roll < 0.4 or not open_milestones) and state.indicators:
        indicator = state.indicators[rng.choice(sorted(state.indicators))]
        elapsed = (plan.now.date() - state.period_start).days
        share = elapsed / max(1, (state.period_end - state.period_start).days)
        # Progress roughly follows the calendar, some administrations ahead, some behind.
        gained = (indicator.target - indicator.baseline) * share * rng.uniform(0.7, 1.3)
        plan.send(
            plan.focal,
            type="record_measurement",
            indicator_id=indicator.indicator_id,
            value=round(indicator.baseline + gained, 2),
            measured_on=(plan.now.date() - timedelta(days=rng.randrange(5))).isoformat(),
        )
    elif roll < 0.9:
        _, milestone_id = open_milestones[0] if rng.random() < 0.85 else rng.choice(open_milestones)
        milestone = state.milestones[milestone_id]
        percent = min(100, milestone.percent + rng.randrange(30, 90))
        if percent == 100:
            plan.send(
                plan.focal, type="complete_milestone", milestone_id=milestone_id, evidence="Filed"
            )
        else:
            plan.send(
                plan.focal,
                type="report_milestone_progress",
                milestone_id=milestone_id,
                percent=percent,
                note="On the way",
            )
    elif roll < 0.97:
        overdue = [m for _, m in open_milestones if state.milestones[m].is_overdue]
        milestone = state.milestones[rng.choice(overdue or [m for _, m in open_milestones])]
        new_due = plan.now.date() + timedelta(days=rng.randrange(15, 90))
        plan.send(
            MANAGER,
            type="reschedule_milestone",
            milestone_id=milestone.milestone_id,
            new_due_date=min(new_due, state.period_end).isoformat(),
            reason="Procurement delayed",
        )
    elif state.indicators:
        indicator = state.indicators[rng.choice(sorted(state.indicators))]
        plan.send(
            MANAGER,
            type="revise_indicator_target",
            indicator_id=indicator.indicator_id,
            new_target=indicator.target + rng.choice((-5, 5, 10)),
            reason="Baseline survey revised",
        )


def _evaluate(plan: _Plan) -> None:
    state = plan.state
    if state is None or state.phase is not Phase.EVALUATION:
        return
    ratings = ("achieved", "partially_achieved", "not_achieved")
    for factor in sorted(state.covered_key_factors()):
        plan.advance(plan.rng.uniform(0.5, 3))
        plan.send(
            MANAGER,
            type="rate_key_factor",
            key_factor=factor.value,
            rating=plan.rng.choice(ratings),
            note="Evaluated with the administration",
        )
        plan.send(
            plan.focal,
            type="record_final_assessment",
            key_factor=factor.value,
            maturity=plan.rng.randint(1, 5),
            summary=f"Final assessment of {factor.label}",
        )
    if plan.rng.random() < 0.85:
        plan.send(MANAGER, type="close_plan", summary="Plan completed and evaluated.")


def interleaved(histories: list[list[Append]], seed: int = 0) -> Iterator[Append]:
    """Appends of many plans in a realistic global order: each plan's own order kept,
    plans taking turns at random (plans run side by side in production)."""
    rng = random.Random(seed)
    cursors = [0] * len(histories)
    active = [i for i, history in enumerate(histories) if history]
    while active:
        slot = rng.randrange(len(active))
        i = active[slot]
        yield histories[i][cursors[i]]
        cursors[i] += 1
        if cursors[i] == len(histories[i]):
            active[slot] = active[-1]
            active.pop()


async def append_histories(
    store: EventStore, histories: list[list[Append]], *, writers: int = 8, seed: int = 0
) -> int:
    """Append every history straight to the store; ``writers`` concurrent appenders, each
    interleaving its share of the plans. Returns the number of events appended."""

    async def writer(share: list[list[Append]], index: int) -> int:
        count = 0
        for append in interleaved(share, seed=seed + index):
            await store.append(append.stream_id, append.expected_version, append.events)
            count += len(append.events)
        return count

    counts = await asyncio.gather(
        *(writer(histories[i::writers], i) for i in range(writers) if histories[i::writers])
    )
    return sum(counts)
