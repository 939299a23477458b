"""History for auditors: a plan as it stood at an instant, or at a version.

Not read from the read models: the stored events are read again and folded with the domain
code the workflow uses (``parse_event`` + ``fold``), so a replay answers "what did the
system know then" from the record itself, whatever the projections say.
"""

from __future__ import annotations

from datetime import UTC, datetime

from domain import fold, parse_event
from domain.benchmarks import key_factor_status
from eventstore import EventStore
from projections.views import PlanAsOf


async def replay_plan(
    store: EventStore,
    plan_id: str,
    *,
    as_of: datetime | None = None,
    version: int | None = None,
) -> PlanAsOf | None:
    """The plan folded from its events recorded up to ``as_of`` (recorded_at, database
    time) and/or up to ``version``; both None: its current state. None when no event
    qualifies (the plan did not exist yet, or never did)."""
    if version is not None and version < 1:
        raise ValueError(f"version must be 1 or more, not {version}")
    if as_of is not None and as_of.tzinfo is None:
        raise ValueError("as_of must carry a time zone (instants are UTC)")
    events = await store.read_stream(f"plan-{plan_id}", to_version=version, recorded_up_to=as_of)
    if not events:
        return None
    state = fold(parse_event(event.type, event.data, event.schema_version) for event in events)
    assert state is not None  # events is not empty
    return PlanAsOf(
        plan_id=plan_id,
        as_of=None if as_of is None else as_of.astimezone(UTC),
        as_of_version=version,
        version=state.version,
        last_recorded_at=events[-1].recorded_at,
        state=state,
        benchmarks=list(key_factor_status(state).values()),
    )
