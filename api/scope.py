"""Read and write scoping by country, answered as 404 so plan ids never leak."""

from __future__ import annotations

import re
from dataclasses import dataclass

from api.errors import ApiError
from domain import Actor, Role, can_read
from domain.access import COUNTRY_SCOPED_ROLES
from domain.regions import Region, region_countries
from projections.conn import Executor

PLAN_ID = re.compile(r"^([A-Z]{3})-(\d{4})$")


def not_found(plan_id: str) -> ApiError:
    return ApiError(
        404, "not_found", f"There is no plan {plan_id} you may see.", rule="plan_not_found",
        details={"plan_id": plan_id},
    )  # fmt: skip


def country_of(plan_id: str) -> str | None:
    match = PLAN_ID.match(plan_id)
    return match.group(1) if match else None


def require_visible_for_country(actor: Actor, plan_id: str) -> str:
    """The country check of ``require_visible``, leaving a donor scope to the caller."""
    country = country_of(plan_id)
    if country is None or not can_read(actor, country, [actor.donor] if actor.donor else None):
        raise not_found(plan_id)
    return country


def require_visible(actor: Actor, plan_id: str) -> str:
    """The plan's country, or a 404 when the id is malformed or outside the actor's scope.

    The country is part of the plan id (``GHA-2026``), so the check needs no lookup and
    answers the same for a plan that exists and one that does not.
    """
    country = country_of(plan_id)
    if country is None or not can_read(actor, country):
        raise not_found(plan_id)
    return country


async def require_readable(pool: Executor, actor: Actor, plan_id: str) -> str:
    """``require_visible``, and for an observer scoped to a donor, the plan's donors too
    (one indexed row; a plan the projector has not seen yet is not visible to it)."""
    country = require_visible_for_country(actor, plan_id)
    if actor.donor is None:
        return country
    donors = await pool.fetchval("SELECT donors FROM rm_plans.summary WHERE plan_id = $1", plan_id)
    if donors is None or not can_read(actor, country, donors):
        raise not_found(plan_id)
    return country


def visible_countries(actor: Actor, requested: str | None = None) -> list[str] | None:
    """Countries a list may show: None means all; an empty list means none (same policy as
    domain ``can_read``: scoped roles, and observers given a country, see that country).
    An observer scoped to a donor gets none here: the lists of plans filter by donor
    (``list_scope``); notifications and the feed show it nothing."""
    if actor.donor is not None:
        return []
    scoped = actor.role in COUNTRY_SCOPED_ROLES or (
        actor.role is Role.OBSERVER and actor.country is not None
    )
    if not scoped:
        return None if requested is None else [requested]
    if requested is not None and requested != actor.country:
        return []
    return [str(actor.country)]


@dataclass(frozen=True)
class ListScope:
    """What a list may show: ``countries`` None means every country; ``donor`` None means
    any donor, else only plans that donor funds now."""

    countries: list[str] | None
    donor: str | None


def list_scope(
    actor: Actor,
    country: str | None = None,
    donor: str | None = None,
    region: Region | None = None,
) -> ListScope | None:
    """The scope of a list (plans, portfolio, overdue, measurements due) for these filters,
    or None when it shows nothing. A donor-scoped observer sees its donor's plans (in its
    country, if it has one too); a region narrows the countries to its members."""
    scope = _actor_scope(actor, country, donor)
    if scope is None or region is None:
        return scope
    members = region_countries(region)
    countries = members if scope.countries is None else [
        c for c in scope.countries if c in members
    ]  # fmt: skip
    return ListScope(countries, scope.donor) if countries else None


def region_filter(text: str) -> Region | None:
    """A dashboard form's region (a code, or empty / unknown: every region)."""
    return next((r for r in Region if r.value == text.strip()), None)


def _actor_scope(actor: Actor, country: str | None, donor: str | None) -> ListScope | None:
    if actor.donor is None:
        countries = visible_countries(actor, country)
        return None if countries == [] else ListScope(countries, donor)
    if donor is not None and donor != actor.donor:
        return None
    if actor.country is not None and country not in (None, actor.country):
        return None
    scoped_country = actor.country or country
    return ListScope(None if scoped_country is None else [scoped_country], actor.donor)
