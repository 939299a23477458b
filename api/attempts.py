"""Refused attempts on the record (DOMAIN.md "Records beside the plan").

Every command refused for a rule, a role or a scope, from an authenticated person, is
appended as a ``command_refused`` event to ``attempts-<plan_id>``: hash-chained, covered
by the Merkle log and its checkpoints like any stream, and never part of the plan's own
stream, so the plan's version does not move. A plan id the store cannot name a stream
after goes to ``attempts-global`` (a stream id needs a kind and an id, so the bare
``attempts`` of DOMAIN.md is spelled so). The projector folds only ``plan-`` streams and
passes these by.

Recording must never change the caller's answer: a failure to record is logged loudly
and the refusal is answered as it would have been.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog

from api.errors import ApiError
from domain import Actor, Command
from eventstore import ANY, DuplicateEventError, EventStore, InvalidEventError, NewEvent
from locales.catalogs import SOURCE_LANGUAGE, ngettext_in

log = structlog.get_logger(__name__)

STREAM_PREFIX = "attempts-"
GLOBAL_STREAM = "attempts-global"
EVENT_TYPE = "command_refused"
# Not refusals of a person by a rule, role or scope: a lost race, a plan that is not there.
NOT_ATTEMPTS = frozenset({"version_conflict", "plan_not_found"})
# The retried id of one refused command gives the same event id: recorded once.
_NAMESPACE = uuid.UUID("0f6c2f0e-5a4b-4c1e-9b7a-2d4e5f6a7b8c")


def is_refused_attempt(error: ApiError) -> bool:
    return error.rule is not None and error.status < 500 and error.rule not in NOT_ATTEMPTS


async def record_refused_attempt(
    store: EventStore,
    plan_id: str,
    command: Command,
    actor: Actor,
    error: ApiError,
    *,
    rule: str | None = None,
) -> None:
    """Append the refusal to the plan's attempts stream; ``rule`` overrides the error's
    (a scope refusal is answered as plan_not_found but recorded as out_of_scope)."""
    rule = rule or error.rule
    if rule is None or (rule == error.rule and not is_refused_attempt(error)):
        return
    command_id = getattr(command, "command_id", None)
    data: dict[str, Any] = {
        "command_type": command.type,
        "rule": rule,
        "message": error.message,
        "actor": actor.name,
        "role": actor.role.value,
        "plan_id": plan_id,
        "command_id": None if command_id is None else str(command_id),
    }
    event_id = (
        uuid.uuid5(_NAMESPACE, f"{plan_id}/{command_id}/{rule}") if command_id else uuid.uuid4()
    )
    await _append(store, plan_id, event_id, data, actor)


async def record_refused_request(
    store: EventStore, plan_id: str | None, request_name: str, actor: Actor, error: ApiError
) -> None:
    """A request refused before its command was read (a token without the scope the route
    needs): recorded like a refused command, its ``command_type`` the route (``POST
    /plans/{plan_id}/commands``), in the plan's attempts when the route names a plan."""
    data: dict[str, Any] = {
        "command_type": request_name,
        "rule": error.rule,
        "message": error.message,
        "actor": actor.name,
        "role": actor.role.value,
        "plan_id": plan_id,
        "command_id": None,
    }
    await _append(store, plan_id or "", uuid.uuid4(), data, actor)


async def _append(
    store: EventStore, plan_id: str, event_id: uuid.UUID, data: dict[str, Any], actor: Actor
) -> None:
    event = NewEvent(
        event_id=event_id,
        type=EVENT_TYPE,
        data=data,
        metadata={"actor": actor.name, "role": actor.role.value, "command_id": data["command_id"]},
        occurred_at=datetime.now(UTC),
    )
    try:
        try:
            await store.append(STREAM_PREFIX + plan_id, ANY, [event])
        except InvalidEventError:
            await store.append(GLOBAL_STREAM, ANY, [event])
    except DuplicateEventError:
        pass  # the same refused command, retried: already on the record
    except (asyncpg.PostgresError, OSError) as failure:
        log.error(
            "refused attempt NOT recorded", plan_id=plan_id, rule=data["rule"], error=str(failure)
        )


async def refused_attempts(store: EventStore, plan_id: str) -> list[dict[str, Any]]:
    """The plan's refused attempts, oldest first, with the hash of each."""
    rows = await store.read_stream_raw(STREAM_PREFIX + plan_id)
    return [
        {
            **row["data"],
            "version": row["version"],
            "occurred_at": row["occurred_at"].isoformat(),
            "hash": row["hash"],
        }
        for row in rows
    ]


def summary(attempts: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts for the dashboard: in total and by rule."""
    by_rule: dict[str, int] = {}
    for attempt in attempts:
        by_rule[attempt["rule"]] = by_rule.get(attempt["rule"], 0) + 1
    return {"total": len(attempts), "by_rule": by_rule}


def sentence(counts: dict[str, Any], language: str = SOURCE_LANGUAGE) -> str:
    """ "3 refused attempts, 1 four-eyes" (the most frequent rules named, by their codes,
    which are never translated); the count in ``language`` (the API and CLI: English)."""
    total = int(counts["total"])
    head = ngettext_in(language, "%(num)d refused attempt", "%(num)d refused attempts", total) % {
        "num": total
    }
    ranked = sorted(counts["by_rule"].items(), key=lambda item: (-item[1], item[0]))
    return ", ".join([head] + [f"{n} {rule.replace('_', '-')}" for rule, n in ranked[:3]])


async def sentences_by_plan(store: EventStore, language: str = SOURCE_LANGUAGE) -> dict[str, str]:
    """Per plan with refused attempts, its dashboard sentence."""
    counts: dict[str, dict[str, Any]] = {}
    tally = await store.count_by_data(STREAM_PREFIX, "rule")
    for (stream_id, rule), n in sorted(tally.items(), key=lambda item: str(item[0])):
        plan = counts.setdefault(stream_id[len(STREAM_PREFIX) :], {"total": 0, "by_rule": {}})
        plan["total"] += n
        plan["by_rule"][rule] = n
    return {plan_id: sentence(c, language) for plan_id, c in counts.items()}
