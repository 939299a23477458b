"""Read and write scoping by country, answered as 404 so plan ids never leak."""

from __future__ import annotations

import re

from api.errors import ApiError
from domain import Actor, Role, can_read
from domain.access import COUNTRY_SCOPED_ROLES

PLAN_ID = re.compile(r"^([A-Z]{3})-(\d{4})$")


def not_found(plan_id: str) -> ApiError:
    return ApiError(
        404, "not_found", f"There is no plan {plan_id} you may see.", rule="plan_not_found",
        details={"plan_id": plan_id},
    )  # fmt: skip


def country_of(plan_id: str) -> str | None:
    match = PLAN_ID.match(plan_id)
    return match.group(1) if match else None


def require_visible(actor: Actor, plan_id: str) -> str:
    """The plan's country, or a 404 when the id is malformed or outside the actor's scope.

    The country is part of the plan id (``GHA-2026``), so the check needs no lookup and
    answers the same for a plan that exists and one that does not.
    """
    country = country_of(plan_id)
    if country is None or not can_read(actor, country):
        raise not_found(plan_id)
    return country


def visible_countries(actor: Actor, requested: str | None = None) -> list[str] | None:
    """Countries a list may show: None means all; an empty list means none (same policy as
    domain ``can_read``: scoped roles, and observers given a country, see that country)."""
    scoped = actor.role in COUNTRY_SCOPED_ROLES or (
        actor.role is Role.OBSERVER and actor.country is not None
    )
    if not scoped:
        return None if requested is None else [requested]
    if requested is not None and requested != actor.country:
        return []
    return [str(actor.country)]
