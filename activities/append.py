"""The append_events activity: the only way a workflow's decisions reach the event store."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from contracts.temporal import APPEND_EVENTS, AppendEventsInput, AppendEventsResult, EventOut
from eventstore import (
    ConcurrencyError,
    DuplicateEventError,
    EventStore,
    InvalidEventError,
    NewEvent,
)


class AppendActivities:
    def __init__(self, store: EventStore) -> None:
        self._store = store

    @activity.defn(name=APPEND_EVENTS)
    async def append_events(self, input: AppendEventsInput) -> AppendEventsResult:
        """Append with the workflow's expected version.

        Idempotent on event ids: a retry after a timeout that hid a commit gets the first
        result back from the store and writes nothing.
        """
        # PendingEvent carries exactly NewEvent's fields.
        events = [NewEvent(**pending.model_dump()) for pending in input.events]
        try:
            result = await self._store.append(input.stream_id, input.expected_version, events)
        except (ConcurrencyError, DuplicateEventError, InvalidEventError) as error:
            raise ApplicationError(
                str(error), type=type(error).__name__, non_retryable=True
            ) from error
        return AppendEventsResult(
            version=result.version,
            events=[
                EventOut.model_validate(recorded, from_attributes=True)
                for recorded in result.events
            ],
        )
