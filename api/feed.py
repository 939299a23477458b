"""The event feed: every event a reader may see, in commit-safe global order, resumable
from a position, so another system follows acip without polling each plan.

Who sees what (docs/api.md, "The event feed"):

- ``plan-<id>`` streams: the plans the reader may read (``domain.can_read``: country-scoped
  roles and country observers see their country's plans only);
- ``attempts-<id>`` streams (refused commands): auditors and programme managers only, as
  ``GET /plans/{id}/attempts``; the plan part of the id scopes them like plans;
- every other stream (people's ``user-<name>`` streams, ``attempts-global``): never. They
  hold staff data that no results database or dashboard needs.

The cursor is a global position of the log. A page scans at most ``limit`` visible events
and stops early once it has scanned ``SCAN_LIMIT`` events, so a reader who sees little of a
busy store still gets an answer quickly; ``next`` is the last position scanned, visible or
not, so no event is read twice and none is skipped.
"""

from __future__ import annotations

from api.scope import country_of
from domain import Actor, Role, can_read
from eventstore import EventStore, RecordedEvent

PLAN_PREFIX = "plan-"
ATTEMPTS_PREFIX = "attempts-"
ATTEMPT_READERS = frozenset({Role.AUDITOR, Role.PROGRAMME_MANAGER})
SCAN_LIMIT = 10_000


def visible(actor: Actor, stream_id: str) -> bool:
    if stream_id.startswith(PLAN_PREFIX):
        plan_id = stream_id.removeprefix(PLAN_PREFIX)
    elif stream_id.startswith(ATTEMPTS_PREFIX) and actor.role in ATTEMPT_READERS:
        plan_id = stream_id.removeprefix(ATTEMPTS_PREFIX)
    else:
        return False
    country = country_of(plan_id)
    return country is not None and can_read(actor, country)


async def feed_page(
    store: EventStore, actor: Actor, after: int, limit: int
) -> tuple[list[RecordedEvent], int]:
    """Up to ``limit`` events after position ``after`` that ``actor`` may see, and the
    position to resume from (``after`` itself when nothing new was committed)."""
    found: list[RecordedEvent] = []
    position = after
    scanned = 0
    while len(found) < limit and scanned < SCAN_LIMIT:
        batch = await store.read_all(position, min(1000, SCAN_LIMIT - scanned))
        if not batch:
            break
        for event in batch:
            position = event.global_position
            scanned += 1
            if visible(actor, event.stream_id):
                found.append(event)
                if len(found) == limit:
                    break
    return found, position
