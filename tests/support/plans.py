"""One plan driver: a plan's whole command sequence written once, sent through any transport.

``Lifecycle`` holds what a plan is made of (its period, milestones, indicators, the people
who act) and turns it into the commands of each ``Stage``, in order. An adapter sends them:

- ``DomainPlan``: pure ``decide``/``evolve``, as the workflow folds them (unit tests);
- ``WorkflowPlan``: Temporal workflow updates through ``api.dispatch`` (integration tests);
- ``ApiPlan`` (tests/support/api_stack.py): the HTTP API, as a person's client would.

A test says where it drives the plan and how far::

    plan = WorkflowPlan(client, task_queue, Lifecycle.for_plan(unique_plan_id()))
    await plan.advance(Stage.IMPLEMENTATION)
    await plan.send(plan.focal, type="complete_milestone", milestone_id="M1", evidence="...")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import IntEnum
from typing import Any, ClassVar, NamedTuple

from temporalio.client import Client

from api.dispatch import dispatch
from contracts.temporal import CommandResult
from domain import Actor, Event, KeyFactor, PlanState, Role, decide, evolve, parse_command
from tests.support.ids import country_of, year_of

MANAGER = Actor(name="wco.manager", role=Role.PROGRAMME_MANAGER)


def focal_of(country: str) -> Actor:
    return Actor(name=f"{country.lower()}.focal", role=Role.FOCAL_POINT, country=country)


def head_of(country: str) -> Actor:
    return Actor(name=f"{country.lower()}.head", role=Role.HEAD_OF_ADMINISTRATION, country=country)


@dataclass(frozen=True)
class Cast:
    """Who acts on the plan: the WCO's programme manager and the country's two roles."""

    manager: Actor
    focal: Actor
    head: Actor

    @classmethod
    def of(cls, country: str, manager: Actor = MANAGER) -> Cast:
        return cls(manager=manager, focal=focal_of(country), head=head_of(country))


class Stage(IntEnum):
    """How far a plan is driven; each stage includes every one before it."""

    OPENED = 1  # phase diagnostic, no finding yet
    DRAFTING = 2  # a finding for each key factor, diagnostic completed
    DRAFTED = 3  # milestones and indicators defined: ready to submit
    UNDER_REVIEW = 4  # submitted
    IMPLEMENTATION = 5  # approved by the head of administration and the WCO
    REPORTED = 6  # progress, completed milestones and measurements recorded
    EVALUATION = 7  # evaluation started
    CLOSED = 8  # every covered key factor rated, plan closed


class _Part:
    """What one command declares (a milestone, a measurement...): its fields are the
    command's, dates in ISO form, tuples as lists, the unset ones (None, empty) left out."""

    TYPE: ClassVar[str]
    RENAMED: ClassVar[dict[str, str]] = {}

    def command(self) -> dict[str, Any]:
        """The command; a test that sends one of its own builds it this way too."""
        fields = {
            self.RENAMED.get(name, name): _wire(value)
            for name, value in vars(self).items()
            if value is not None and value != ()
        }
        return {"type": self.TYPE, **fields}


def _wire(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_wire(item) for item in value]
    return value


@dataclass(frozen=True)
class Outcome(_Part):
    TYPE = "add_outcome"
    outcome_id: str
    title: str = "Integrity risks are managed"
    key_factors: tuple[str, ...] = ("code_of_conduct",)
    parent_id: str | None = None


@dataclass(frozen=True)
class Milestone(_Part):
    TYPE = "add_milestone"
    RENAMED: ClassVar[dict[str, str]] = {"due": "due_date"}
    milestone_id: str
    due: date
    key_factor: str = "code_of_conduct"
    title: str = "Publish the code of conduct"
    outcome_id: str | None = None


@dataclass(frozen=True)
class Indicator(_Part):
    TYPE = "define_indicator"
    indicator_id: str = "I1"
    key_factor: str = "code_of_conduct"
    baseline: float = 10
    target: float = 90
    unit: str = "percent"
    name: str = "Staff trained on the code of conduct"
    # Biennial by default: on the plans of these tests its first reporting period ends two
    # years in, so no measurement_due mixes into tests of the milestone timers.
    reporting_frequency: str = "biennial"
    outcome_id: str | None = None
    period_targets: tuple[tuple[date, float], ...] = ()

    def command(self) -> dict[str, Any]:
        command = super().command()
        if self.period_targets:
            command["period_targets"] = [
                {"due": due.isoformat(), "target": target} for due, target in self.period_targets
            ]
        return command


@dataclass(frozen=True)
class Progress(_Part):
    TYPE = "report_milestone_progress"
    milestone_id: str
    percent: int
    note: str = "Half the staff briefed"


@dataclass(frozen=True)
class Completion(_Part):
    TYPE = "complete_milestone"
    milestone_id: str
    evidence: str = "Circular 14"


@dataclass(frozen=True)
class Measurement(_Part):
    TYPE = "record_measurement"
    indicator_id: str
    value: float
    measured_on: date


class Step(NamedTuple):
    """One command and who sends it; unpacks as ``actor, command``."""

    actor: Actor
    command: dict[str, Any]


@dataclass(frozen=True)
class Lifecycle:
    """Everything a plan is made of; ``steps()`` turns it into commands, stage by stage."""

    plan_id: str
    cast: Cast
    period_start: date
    period_end: date
    milestones: tuple[Milestone, ...]
    indicators: tuple[Indicator, ...] = (Indicator(),)
    outcomes: tuple[Outcome, ...] = ()
    administration: str = ""
    title: str = "Integrity action plan"
    open_fields: dict[str, Any] = field(default_factory=dict)  # e.g. a reminder_policy
    maturity: int = 3
    finding_summary: str = "Findings on {label}"  # formatted with factor= and label=
    progress: tuple[Progress, ...] = ()
    completed: tuple[str, ...] = ()  # milestone ids completed while reporting
    measurements: tuple[Measurement, ...] = ()
    close_summary: str = "Plan delivered"

    @classmethod
    def for_plan(cls, plan_id: str, **overrides: Any) -> Lifecycle:
        """A three-year plan from 1 January of the id's year, with one milestone (M1, due
        mid-way) and one indicator (I1); a progress report, M1's completion and a
        measurement on the first day when reporting. Override any field by name; the
        reporting fields name M1 and I1, so override them too when those do not exist."""
        year = year_of(plan_id)
        country = country_of(plan_id)
        start = date(year, 1, 1)
        defaults: dict[str, Any] = {
            "cast": Cast.of(country),
            "period_start": start,
            "period_end": date(year + 2, 12, 31),
            "milestones": (Milestone("M1", date(year + 1, 6, 30)),),
            "administration": f"Customs administration of {country}",
            "progress": (Progress("M1", 50),),
            "completed": ("M1",),
            "measurements": (Measurement("I1", 55, start),),
        }
        return cls(plan_id=plan_id, **{**defaults, **overrides})

    @property
    def country(self) -> str:
        return country_of(self.plan_id)

    def rated_key_factors(self) -> list[str]:
        """Key factors that close_plan needs a rating for: those with a milestone or an
        indicator, in declaration order."""
        factors = [m.key_factor for m in self.milestones] + [i.key_factor for i in self.indicators]
        return list(dict.fromkeys(factors))

    def open_command(self) -> dict[str, Any]:
        return {"type": "open_plan", **self.open_body()}

    def open_body(self) -> dict[str, Any]:
        """open_plan's fields, the body of POST /plans."""
        return {
            "country": self.country,
            "administration": self.administration,
            "title": self.title,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            **self.open_fields,
        }

    def steps(self, through: Stage, *, after: Stage | None = None) -> list[Step]:
        """The commands that take the plan from ``after`` (not yet opened when None) to
        ``through``, in order."""
        first = Stage.OPENED if after is None else Stage(after + 1)
        steps: list[Step] = []
        for stage in Stage:
            if first <= stage <= through:
                steps.extend(self.steps_of(stage))
        return steps

    def steps_of(self, stage: Stage) -> list[Step]:
        """The commands of one stage alone (from the stage before it)."""
        manager, focal, head = self.cast.manager, self.cast.focal, self.cast.head
        if stage is Stage.OPENED:
            return [Step(manager, self.open_command())]
        if stage is Stage.DRAFTING:
            findings = [Step(focal, self.finding(factor)) for factor in KeyFactor]
            return [*findings, Step(focal, {"type": "complete_diagnostic"})]
        if stage is Stage.DRAFTED:
            parts: tuple[_Part, ...] = (*self.outcomes, *self.milestones, *self.indicators)
            return [Step(focal, part.command()) for part in parts]
        if stage is Stage.UNDER_REVIEW:
            return [Step(focal, {"type": "submit_for_approval"})]
        if stage is Stage.IMPLEMENTATION:
            return [
                Step(head, {"type": "approve_plan", "comment": "Agreed for the administration"}),
                Step(manager, {"type": "approve_plan", "comment": "Agreed for the WCO"}),
            ]
        if stage is Stage.REPORTED:
            completions = [Completion(milestone_id) for milestone_id in self.completed]
            reports: tuple[_Part, ...] = (*self.progress, *completions, *self.measurements)
            return [Step(focal, report.command()) for report in reports]
        if stage is Stage.EVALUATION:
            return [Step(manager, {"type": "start_evaluation"})]
        ratings = [
            Step(
                manager,
                {
                    "type": "rate_key_factor",
                    "key_factor": factor,
                    "rating": "achieved",
                    "note": "Delivered as planned",
                },
            )
            for factor in self.rated_key_factors()
        ]
        return [*ratings, Step(manager, {"type": "close_plan", "summary": self.close_summary})]

    def finding(self, factor: KeyFactor) -> dict[str, Any]:
        return {
            "type": "record_diagnostic_finding",
            "key_factor": factor.value,
            "maturity": self.maturity,
            "summary": self.finding_summary.format(factor=factor.value, label=factor.label),
        }


class DrivenPlan:
    """What every adapter shares: the lifecycle, its people and the stage reached."""

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
        self.stage: Stage | None = None

    @property
    def plan_id(self) -> str:
        return self.lifecycle.plan_id

    @property
    def manager(self) -> Actor:
        return self.lifecycle.cast.manager

    @property
    def focal(self) -> Actor:
        return self.lifecycle.cast.focal

    @property
    def head(self) -> Actor:
        return self.lifecycle.cast.head

    def next_steps(self, to: Stage) -> list[Step]:
        """The steps from the stage reached so far to ``to``, which counts as reached: for a
        caller that sends them its own way (retrying, interleaving plans)."""
        steps = self.lifecycle.steps(to, after=self.stage)
        self.stage = to
        return steps


class DomainPlan(DrivenPlan):
    """The plan as the workflow folds it: ``decide`` then ``evolve``, at the instant ``now``."""

    def __init__(
        self, lifecycle: Lifecycle, now: datetime = datetime(2026, 1, 5, 10, tzinfo=UTC)
    ) -> None:
        super().__init__(lifecycle)
        self.now = now
        self.state: PlanState | None = None

    def send(self, actor: Actor, **command: Any) -> list[Event]:
        events = decide(self.state, parse_command(command), actor, self.now)
        assert events, "a valid command yields at least one event"
        for event in events:
            self.state = evolve(self.state, event)
        return events

    def advance(self, to: Stage) -> PlanState:
        for actor, command in self.next_steps(to):
            self.send(actor, **command)
        assert self.state is not None
        return self.state


class WorkflowPlan(DrivenPlan):
    """The plan's Temporal workflow, sent updates exactly as the API sends them."""

    def __init__(self, client: Client, task_queue: str, lifecycle: Lifecycle) -> None:
        super().__init__(lifecycle)
        self.client = client
        self.task_queue = task_queue

    async def send(self, actor: Actor, **command: Any) -> CommandResult:
        return await dispatch(
            self.client, self.task_queue, self.plan_id, parse_command(command), actor
        )

    async def advance(self, to: Stage) -> CommandResult | None:
        """Send the steps up to ``to``; returns the last command's result."""
        result = None
        for actor, command in self.next_steps(to):
            result = await self.send(actor, **command)
        return result
