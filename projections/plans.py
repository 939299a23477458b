"""The "plans" projection: plan summary, milestones, indicators and benchmarks.

Each plan's domain PlanState is kept (as JSON) in its summary row; a batch loads the states
of the plans it touches, folds its events with domain ``evolve`` (the workflow's own code),
and writes every row of each touched plan once, whatever the number of its events in the
batch. Rows are replaced wholesale (delete, then COPY), so a plan's rows never mix two
versions of its state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from domain import PlanState, evolve, evolve_owned, parse_event
from domain.events import parse_current_event_json
from eventstore import RecordedEvent
from projections.conn import Conn
from projections.results import REPORTING_PERIOD_COLUMNS
from projections.rows import (
    BENCHMARK_COLUMNS,
    INDICATOR_COLUMNS,
    MILESTONE_COLUMNS,
    SUMMARY_COLUMNS,
    LastEvent,
    PlanRows,
)
from projections.trend import TREND_COLUMNS, first_boundary_after, quarter_ends_between, trend_rows
from projections.trend_totals import add_trend_totals

STREAM_PREFIX = "plan-"


@dataclass(frozen=True, slots=True)
class EventFailure:
    """The event a projection could not apply, and why."""

    position: int
    event_id: str
    event_type: str
    stream_id: str
    error: str


class ProjectionEventError(Exception):
    def __init__(self, failure: EventFailure) -> None:
        super().__init__(
            f"cannot apply event {failure.event_type} at position {failure.position} "
            f"({failure.stream_id}): {failure.error}"
        )
        self.failure = failure


def plan_id_of(stream_id: str) -> str | None:
    return stream_id[len(STREAM_PREFIX) :] if stream_id.startswith(STREAM_PREFIX) else None


@dataclass
class PlanFold:
    """Plan states in memory, folded event by event; remembers which plans changed.

    ``complete`` says every plan seen so far has its state here (a rebuild from 0 that has
    evicted nothing): then no state needs loading and missing() has nothing to look up.
    """

    states: dict[str, PlanState] = field(default_factory=dict)
    # plan_id -> (type, occurred_at, recorded_at, position) of its last event
    changed: dict[str, tuple[str, datetime, datetime, int]] = field(default_factory=dict)
    position: int = 0
    complete: bool = False
    # plan_id -> recorded_at of its last event folded (or loaded): where its trend stands.
    last_recorded: dict[str, datetime] = field(default_factory=dict)
    # Trend rows fixed by the events folded since the last take_changed().
    trend: list[tuple[Any, ...]] = field(default_factory=list)
    # plan_id -> first_boundary_after(its last_recorded): an event recorded between the
    # two fixes no quarter end (most events), so there is nothing to compute for it.
    next_boundary: dict[str, datetime] = field(default_factory=dict)
    # The states here are this fold's alone (a rebuild's): events change them in place
    # (domain.evolve_owned) rather than each making a copy. Otherwise domain.evolve.
    owns_states: bool = False

    def __post_init__(self) -> None:
        self._evolve = evolve_owned if self.owns_states else evolve

    def missing(self, stream_ids: Iterable[str]) -> list[str]:
        """Plans of these streams whose state is not in memory (load them first)."""
        if self.complete:
            return []
        wanted = {plan_id_of(stream_id) for stream_id in stream_ids}
        return sorted(p for p in wanted if p is not None and p not in self.states)

    def apply(self, event: RecordedEvent) -> None:
        self.apply_fields(
            event.global_position,
            event.stream_id,
            event.version,
            event.type,
            event.schema_version,
            event.data,
            event.occurred_at,
            event.recorded_at,
            event.event_id,
        )

    def apply_fields(
        self,
        position: int,
        stream_id: str,
        version: int,
        type_: str,
        schema_version: int,
        data: dict[str, Any] | str,
        occurred_at: datetime,
        recorded_at: datetime,
        event_id: UUID,
    ) -> None:
        """Fold one event; raise ProjectionEventError, leaving this fold as it was before
        the event, when the event cannot be applied. (Fields rather than an event object:
        a rebuild feeds rows straight from its bulk read, with no object per event; it
        passes ``data`` as the stored JSON text, and only when ``schema_version`` is the
        type's current one.)"""
        if stream_id.startswith(STREAM_PREFIX):
            plan_id = stream_id[len(STREAM_PREFIX) :]
            state = self.states.get(plan_id)
            current = 0 if state is None else state.version
            if version <= current:
                # Already folded (only a replayed delivery could do this): applying it
                # again would count it twice.
                self.position = position
                return
            fixed: list[tuple[Any, ...]] | None = None
            if state is not None:
                previous = self.last_recorded.get(plan_id, state.last_changed_at)
                next_boundary = self.next_boundary.get(plan_id)
                if next_boundary is None or not previous <= recorded_at < next_boundary:
                    # Quarter ends passed since the plan's previous event: the state before
                    # this one is the state as of each of them (projections.trend). Taken
                    # before the event is applied: an owned state changes in place.
                    fixed = trend_rows(state, list(quarter_ends_between(previous, recorded_at)))
            try:
                if version != current + 1:
                    raise ValueError(f"version {version} follows {current}: events are missing")
                if isinstance(data, str):
                    event = parse_current_event_json(type_, data)
                else:
                    event = parse_event(type_, data, schema_version)
                new_state = self._evolve(state, event)
            except Exception as error:  # anything the domain raises on this event
                raise ProjectionEventError(
                    EventFailure(
                        position=position,
                        event_id=str(event_id),
                        event_type=type_,
                        stream_id=stream_id,
                        error=f"{type(error).__name__}: {error}",
                    )
                ) from error
            if fixed is not None:
                self.trend.extend(fixed)
                self.next_boundary[plan_id] = first_boundary_after(recorded_at)
            self.last_recorded[plan_id] = recorded_at
            self.states[plan_id] = new_state
            self.changed[plan_id] = (type_, occurred_at, recorded_at, position)
        # Events of other streams are not ours: passing them moves the position only.
        self.position = position

    def take_changed(self) -> PlanRows:
        rows = PlanRows.empty()
        for plan_id, last in self.changed.items():
            rows.add(self.states[plan_id], LastEvent(*last))
        rows.trend, self.trend = self.trend, []
        self.changed = {}
        return rows


class PlanProjection:
    """Owns the tables of the ``rm_plans`` schema (or of a rebuild's fresh schema)."""

    name = "plans"
    live_schema = "rm_plans"
    build_schema = "rm_plans_build"

    async def create_schema(self, conn: Conn, schema: str) -> None:
        await conn.execute("SELECT projections_create_plans_schema($1)", schema)
        await conn.execute("SELECT projections_create_trend_table($1)", schema)
        await conn.execute("SELECT projections_create_portfolio_totals($1)", schema)

    async def load(self, conn: Conn, schema: str, fold: PlanFold, ids: list[str]) -> None:
        if not ids:
            return
        rows = await conn.fetch(
            f"SELECT plan_id, state, last_recorded_at FROM {schema}.summary"
            " WHERE plan_id = ANY($1::text[])",
            ids,
        )
        for row in rows:
            fold.states[row["plan_id"]] = PlanState.model_validate_json(row["state"])
            fold.last_recorded[row["plan_id"]] = row["last_recorded_at"]
            fold.next_boundary.pop(row["plan_id"], None)

    async def write(self, conn: Conn, schema: str, rows: PlanRows) -> None:
        """Replace the rows of the plans in ``rows``; call inside a transaction."""
        if not rows.summary:
            return
        ids = [row[0] for row in rows.summary]
        # One round trip deletes the plans' rows from every table.
        await conn.execute(
            f"""
            WITH m AS (DELETE FROM {schema}.milestones WHERE plan_id = ANY($1::text[])),
                 i AS (DELETE FROM {schema}.indicators WHERE plan_id = ANY($1::text[])),
                 b AS (DELETE FROM {schema}.benchmarks WHERE plan_id = ANY($1::text[])),
                 p AS (DELETE FROM {schema}.reporting_periods WHERE plan_id = ANY($1::text[]))
            DELETE FROM {schema}.summary WHERE plan_id = ANY($1::text[])
            """,
            ids,
        )
        for table, columns, records in (
            ("summary", SUMMARY_COLUMNS, rows.summary),
            ("milestones", MILESTONE_COLUMNS, rows.milestones),
            ("indicators", INDICATOR_COLUMNS, rows.indicators),
            ("benchmarks", BENCHMARK_COLUMNS, rows.benchmarks),
            ("reporting_periods", REPORTING_PERIOD_COLUMNS, rows.reporting_periods),
            # Append only: a quarter end, once fixed, never changes (projections.trend).
            ("trend", TREND_COLUMNS, rows.trend),
        ):
            if records:
                await conn.copy_records_to_table(
                    table, schema_name=schema, columns=columns, records=records
                )
        # The trend across the plans, counted as its rows are appended (projections.trend_totals).
        await add_trend_totals(conn, schema, rows)

    async def apply(
        self,
        conn: Conn,
        schema: str,
        events: Sequence[RecordedEvent],
        after_position: int,
    ) -> tuple[int, EventFailure | None]:
        """Apply a batch in the caller's transaction: fold from the stored states, write the
        changed plans. Stops at the first event that fails; returns the position applied
        up to (``after_position`` if none) and that failure, if any."""
        fold = PlanFold(position=after_position)
        await self.load(conn, schema, fold, fold.missing(e.stream_id for e in events))
        failure = None
        for event in events:
            try:
                fold.apply(event)
            except ProjectionEventError as error:
                failure = error.failure
                break
        await self.write(conn, schema, fold.take_changed())
        return fold.position, failure
