"""Upcasters: stored event data of an older schema version, read in the current shape.

Stored events stay exactly as written (their hashes cover those bytes); readers upcast on
the way in. Each upcaster turns data of ``(event_type, from_version)`` into the shape of
``from_version + 1``; they chain. The same table feeds eventstore.UpcasterRegistry
(``UpcasterRegistry.of(UPCASTERS)``) for stores that upcast as they read.

Version 2 of every event a person causes names the person ``actor`` and the business
instant ``at`` (v1 said by, recorded_by, opened_by, submitted_by or approver, and at,
opened_at or recorded_at); milestone_overdue v2 adds ``at``, the instant it was detected,
which v1 did not keep (its overdue_since is the best that is known).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def _renaming(**new_by_old: str) -> Upcaster:
    """An upcaster that renames keys (old=new), keeping every other key as stored."""

    def rename(data: dict[str, Any]) -> dict[str, Any]:
        return {new_by_old.get(key, key): value for key, value in data.items()}

    return rename


def _overdue_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "at": data.get("at", data.get("overdue_since"))}


_BY_TO_ACTOR = _renaming(by="actor")


def _indicator_v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    # Before the results framework every indicator was annual, flat and in no outcome.
    return {
        "outcome_id": None,
        "reporting_frequency": "annual",
        "period_targets": [],
        "baseline_date": None,
        **data,
    }


def _reminder_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # v1 reminders were about milestones only.
    return {"indicator_id": None, **data}


UPCASTERS: Mapping[tuple[str, int], Upcaster] = {
    ("plan_opened", 1): _renaming(opened_by="actor", opened_at="at"),
    # Plans opened before donors were recorded have none on the record.
    ("plan_opened", 2): lambda data: {**data, "donors": data.get("donors", [])},
    ("diagnostic_finding_recorded", 1): _renaming(recorded_by="actor"),
    ("plan_submitted", 1): _renaming(submitted_by="actor"),
    ("plan_approval_granted", 1): _renaming(approver="actor"),
    ("indicator_measured", 1): _renaming(recorded_by="actor", recorded_at="at"),
    ("milestone_overdue", 1): _overdue_v1_to_v2,
    ("indicator_defined", 2): _indicator_v2_to_v3,
    ("reminder_sent", 1): _reminder_v1_to_v2,
    **{
        (event_type, 1): _BY_TO_ACTOR
        for event_type in (
            "diagnostic_completed",
            "milestone_added",
            "milestone_removed",
            "indicator_defined",
            "indicator_removed",
            "plan_changes_requested",
            "milestone_progress_reported",
            "milestone_completed",
            "milestone_rescheduled",
            "indicator_target_revised",
            "evaluation_started",
            "key_factor_rated",
            "plan_closed",
            "plan_cancelled",
        )
    },
}


def upcast(event_type: str, schema_version: int, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` stored at ``schema_version``, in the current shape of ``event_type``."""
    while (upcaster := UPCASTERS.get((event_type, schema_version))) is not None:
        data = upcaster(data)
        schema_version += 1
    return data
