"""Who may do what, on which country: the access policy, in one place."""

from __future__ import annotations

from collections.abc import Collection
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.commands import COMMAND_BY_TYPE, Command, Country, DonorCode
from domain.errors import NOT_PERMITTED, OUT_OF_SCOPE, DomainError
from domain.labels import command_label
from domain.roles import COUNTRY_SCOPED_ROLES, Role


class Actor(BaseModel):
    """The authenticated person (or the system) behind a command; never from a request body.

    ``country`` is required for focal points and heads of administration, optional for
    observers (None: all countries) and ignored for the global roles. ``donor`` scopes an
    observer to the plans that donor funds (observers only)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: Role
    country: Country | None = None
    donor: DonorCode | None = None

    @model_validator(mode="after")
    def _country_for_scoped_roles(self) -> Self:
        if self.role in COUNTRY_SCOPED_ROLES and self.country is None:
            raise ValueError(f"a {self.role.label} must have a country")
        if self.donor is not None and self.role is not Role.OBSERVER:
            raise ValueError("only an observer can be scoped to a donor")
        return self


SYSTEM_ACTOR = Actor(name="system", role=Role.SYSTEM)

# The "who" column of DOMAIN.md, by command type, as each command declares it. The system
# role issues no commands: time raises events directly (domain.timers), not through decide().
COMMAND_ROLES: dict[str, frozenset[Role]] = {name: c.roles for name, c in COMMAND_BY_TYPE.items()}


def check_role(command_type: str, actor: Actor) -> None:
    """Raise ``not_permitted`` unless the actor's role may send this command type."""
    allowed = COMMAND_ROLES.get(command_type, frozenset())
    if actor.role not in allowed:
        who = " or ".join(sorted(r.with_article for r in allowed)) or "nobody"
        raise DomainError(
            NOT_PERMITTED,
            f"{actor.role.with_article.capitalize()} may not {command_label(command_type)}; "
            f"only {who} may.",
            {
                "command_type": command_type,
                "role": actor.role.value,
                "allowed_roles": sorted(r.value for r in allowed),
            },
        )


def check_scope(actor: Actor, plan_country: str) -> None:
    """Raise ``out_of_scope`` when a country-scoped actor acts on another country's plan."""
    if actor.role in COUNTRY_SCOPED_ROLES and actor.country != plan_country:
        raise DomainError(
            OUT_OF_SCOPE,
            f"{actor.name} acts for {actor.country} and may not act on a plan of {plan_country}.",
            {"actor_country": actor.country, "plan_country": plan_country},
        )


def authorize(command: Command, actor: Actor, plan_country: str) -> None:
    """The whole write policy: role allowed for the command type, then country scope."""
    check_role(command.type, actor)
    check_scope(actor, plan_country)


def can_read(actor: Actor, plan_country: str, plan_donors: Collection[str] | None = None) -> bool:
    """Read scoping: global roles see every plan; country-bound readers see their own only;
    an observer scoped to a donor sees only plans that donor funds. ``plan_donors`` None
    means the caller does not know them: a donor-scoped observer is then refused (closed
    by default), never shown a plan it might not fund."""
    if actor.role in COUNTRY_SCOPED_ROLES:
        return actor.country == plan_country
    if actor.role is Role.OBSERVER:
        if actor.donor is not None and (plan_donors is None or actor.donor not in plan_donors):
            return False
        return actor.country is None or actor.country == plan_country
    return True
