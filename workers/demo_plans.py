"""Demo action plans for `acip up --demo`, so a new user sees plans in every state.

- GHA-2026 in implementation, written as a Project Information Document: two general
  outcomes with a specific outcome under each, milestones (one completed, one overdue, one
  in progress), indicators with period targets (one quarterly, one the biennial perception
  survey) and measurements on track, at risk and off track.
- KEN-2026 under review: submitted by the focal point, waiting for both approvals.
- TZA-2026 in drafting: the diagnostic done, the first milestone added.

Every command goes through api.dispatch with the demo users as actors, exactly as the API
sends it, so the demo's history is an ordinary one. A plan whose stream exists is left alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import asyncpg
import structlog
from temporalio.client import Client

from api.dispatch import dispatch
from domain import Actor, KeyFactor, Role, parse_command
from eventstore import PostgresEventStore

log = structlog.get_logger(__name__)

MANAGER = Actor(name="wco.manager", role=Role.PROGRAMME_MANAGER)
NAMESPACE = uuid.UUID("0d7c6a57-2f3e-4f7b-8a63-3c1e8f0e9a41")

Step = tuple[Actor, dict[str, Any]]


def focal(country: str) -> Actor:
    return Actor(name=f"{country.lower()}.focal", role=Role.FOCAL_POINT, country=country)


def head(country: str) -> Actor:
    return Actor(name=f"{country.lower()}.head", role=Role.HEAD_OF_ADMINISTRATION, country=country)


MATURITY = {
    KeyFactor.LEADERSHIP_AND_COMMITMENT: (3, "Integrity is in the strategy; no owner named."),
    KeyFactor.REGULATORY_FRAMEWORK: (2, "Discretion in valuation rules is wide."),
    KeyFactor.TRANSPARENCY: (2, "Tariff rulings are not published."),
    KeyFactor.AUTOMATION: (3, "Single window covers 60% of declarations."),
    KeyFactor.REFORM_AND_MODERNIZATION: (3, "Reform plan exists, funding partial."),
    KeyFactor.AUDIT_AND_INVESTIGATION: (2, "Internal audit reports to operations."),
    KeyFactor.CODE_OF_CONDUCT: (2, "The 2009 code was never trained."),
    KeyFactor.HUMAN_RESOURCE_MANAGEMENT: (2, "Postings are not rotated."),
    KeyFactor.MORALE_AND_ORGANIZATIONAL_CULTURE: (3, "Staff survey shows low trust."),
    KeyFactor.RELATIONSHIP_WITH_PRIVATE_SECTOR: (3, "A consultative committee meets yearly."),
}


def opening(country: str, administration: str) -> Step:
    return (
        MANAGER,
        {
            "type": "open_plan",
            "country": country,
            "administration": administration,
            "title": "Integrity action plan 2026-2028",
            "period_start": "2026-01-01",
            "period_end": "2028-12-31",
        },
    )


def diagnostic(country: str) -> list[Step]:
    steps: list[Step] = [
        (
            focal(country),
            {
                "type": "record_diagnostic_finding",
                "key_factor": factor.value,
                "maturity": maturity,
                "summary": summary,
            },
        )
        for factor, (maturity, summary) in MATURITY.items()
    ]
    steps.append((focal(country), {"type": "complete_diagnostic"}))
    return steps


# The results framework: outcome id -> (title, key factors, parent).
OUTCOMES: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "O1": ("Staff integrity is managed", ("code_of_conduct", "human_resource_management"), None),
    "O1.1": ("Staff know and apply the code of conduct", ("code_of_conduct",), "O1"),
    "O2": ("Clearance is transparent and automated", ("transparency", "automation"), None),
    "O2.1": ("Traders see rulings and pay electronically", ("transparency", "automation"), "O2"),
}
# Milestone and indicator id -> the outcome it serves.
SERVES = {
    "M1": "O1.1",
    "M2": "O2.1",
    "M3": "O1",
    "M4": "O2.1",
    "I1": "O1.1",
    "I2": "O2.1",
    "I3": "O2",
    "I4": "O1",
}


def outcomes(country: str) -> list[Step]:
    steps: list[Step] = []
    for oid, (title, factors, parent) in OUTCOMES.items():
        fields: dict[str, Any] = {
            "type": "add_outcome",
            "outcome_id": oid,
            "title": title,
            "key_factors": list(factors),
        }
        if parent:
            fields["parent_id"] = parent
        steps.append((focal(country), fields))
    return steps


def milestone(country: str, mid: str, title: str, factor: str, due: str) -> Step:
    return (
        focal(country),
        {
            "type": "add_milestone",
            "milestone_id": mid,
            "title": title,
            "key_factor": factor,
            "due_date": due,
            "outcome_id": SERVES[mid],
        },
    )


def indicator(
    country: str,
    iid: str,
    name: str,
    factor: str,
    unit: str,
    baseline: float,
    target: float,
    path: dict[str, Any],
) -> Step:
    return (
        focal(country),
        {
            "type": "define_indicator",
            "indicator_id": iid,
            "name": name,
            "key_factor": factor,
            "unit": unit,
            "baseline": baseline,
            "target": target,
            "outcome_id": SERVES[iid],
            **path,
        },
    )


def measure(country: str, iid: str, value: float, on: str) -> Step:
    return (
        focal(country),
        {
            "type": "record_measurement",
            "indicator_id": iid,
            "value": value,
            "measured_on": on,
            "source": "Quarterly integrity report",
        },
    )


MILESTONES = (
    ("M1", "Adopt the revised code of conduct", "code_of_conduct", "2026-06-30"),
    ("M2", "Publish tariff rulings online", "transparency", "2026-09-30"),
    ("M3", "Rotate postings at the main ports", "human_resource_management", "2027-03-31"),
    ("M4", "Electronic payment at every border post", "automation", "2027-12-31"),
)
INDICATORS = (
    (
        "I1", "Staff trained on the code of conduct", "code_of_conduct", "percent", 10, 90,
        {
            "reporting_frequency": "semiannual",
            "period_targets": [
                {"due": "2026-12-31", "target": 40},
                {"due": "2027-12-31", "target": 70},
            ],
            "source": "HR training records",
        },
    ),
    (
        "I2", "Declarations lodged electronically", "automation", "percent", 40, 95,
        {
            "reporting_frequency": "quarterly",
            "period_targets": [{"due": "2026-12-31", "target": 55}],
            "source": "Customs management system",
        },
    ),
    (
        "I3", "Integrity complaints resolved within 30 days", "transparency", "percent", 20, 80,
        {"reporting_frequency": "annual"},
    ),
    (
        "I4", "Traders who perceive bribery as common (CIPS)", "human_resource_management",
        "percent", 46, 25,
        {
            "reporting_frequency": "biennial",
            "baseline_date": "2025-11-30",
            "source": "Customs Integrity Perception Survey",
        },
    ),
)  # fmt: skip


def drafting(country: str, milestones: int = 4, indicators: int = 4) -> list[Step]:
    """Outcomes first (a plan with outcomes names one for every item), then the items."""
    return (
        outcomes(country)
        + [milestone(country, *m) for m in MILESTONES[:milestones]]
        + [indicator(country, *i) for i in INDICATORS[:indicators]]
    )


def ghana() -> list[Step]:
    country = "GHA"
    return [
        opening(country, "Ghana Revenue Authority - Customs Division"),
        *diagnostic(country),
        *drafting(country),
        (focal(country), {"type": "submit_for_approval"}),
        (head(country), {"type": "approve_plan", "comment": "Agreed for the administration"}),
        (MANAGER, {"type": "approve_plan", "comment": "Agreed for the WCO"}),
        (
            focal(country),
            {"type": "complete_milestone", "milestone_id": "M1", "evidence": "Circular 2026/14"},
        ),
        (
            focal(country),
            {
                "type": "report_milestone_progress",
                "milestone_id": "M3",
                "percent": 40,
                "note": "Tema and Takoradi rotated; Kotoka next",
            },
        ),
        measure(country, "I1", 20, "2026-03-31"),
        measure(country, "I1", 35, "2026-09-30"),
        measure(country, "I2", 42, "2026-06-30"),
        measure(country, "I2", 45, "2026-09-30"),
        measure(country, "I3", 20, "2026-10-31"),
        (
            MANAGER,
            {
                "type": "revise_indicator_target",
                "indicator_id": "I2",
                "new_target": 90,
                "reason": "The new system's roll-out slipped a year",
                "new_period_targets": [{"due": "2027-06-30", "target": 60}],
            },
        ),
    ]


def kenya() -> list[Step]:
    country = "KEN"
    return [
        opening(country, "Kenya Revenue Authority - Customs and Border Control"),
        *diagnostic(country),
        *drafting(country, milestones=2, indicators=3),
        (focal(country), {"type": "submit_for_approval"}),
    ]


def tanzania() -> list[Step]:
    country = "TZA"
    return [
        opening(country, "Tanzania Revenue Authority - Customs and Excise"),
        *diagnostic(country),
        *drafting(country, milestones=1, indicators=0),
    ]


DEMO_PLANS: dict[str, list[Step]] = {
    "GHA-2026": ghana(),
    "KEN-2026": kenya(),
    "TZA-2026": tanzania(),
}

DEMO_ACTORS: tuple[Actor, ...] = (
    MANAGER,
    *(f(c) for c in ("GHA", "KEN", "TZA") for f in (focal, head)),
)


async def seed_demo_plans(client: Client, task_queue: str, pool: asyncpg.Pool) -> list[str]:
    """Drive the demo plans that do not exist yet; returns the ids of the plans created."""
    store = PostgresEventStore(pool)
    created = []
    for plan_id, steps in DEMO_PLANS.items():
        if await store.stream_version(f"plan-{plan_id}") > 0:
            continue
        await _drive(client, task_queue, plan_id, steps)
        created.append(plan_id)
        log.info("demo plan seeded", plan_id=plan_id, commands=len(steps))
    return created


async def _drive(client: Client, task_queue: str, plan_id: str, steps: Iterable[Step]) -> None:
    for n, (actor, fields) in enumerate(steps):
        # Deterministic ids: a seeding interrupted and run again replays, never duplicates.
        command_id = uuid.uuid5(NAMESPACE, f"{plan_id}/{n}")
        command = parse_command({**fields, "command_id": str(command_id)})
        await dispatch(client, task_queue, plan_id, command, actor)
