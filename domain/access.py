"""Who may do what, on which country: the access policy, in one place."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.errors import NOT_PERMITTED, OUT_OF_SCOPE, DomainError
from domain.labels import command_label

if TYPE_CHECKING:
    from domain.commands import Command


class Role(StrEnum):
    PROGRAMME_MANAGER = "programme_manager"
    FOCAL_POINT = "focal_point"
    HEAD_OF_ADMINISTRATION = "head_of_administration"
    AUDITOR = "auditor"
    OBSERVER = "observer"
    SYSTEM = "system"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def with_article(self) -> str:
        """'an auditor', 'a focal point': for messages a person reads."""
        return f"{'an' if self.value[0] in 'aeiou' else 'a'} {self.label}"


# Roles whose every action is limited to the actor's own country.
COUNTRY_SCOPED_ROLES: frozenset[Role] = frozenset({Role.FOCAL_POINT, Role.HEAD_OF_ADMINISTRATION})


class Actor(BaseModel):
    """The authenticated person (or the system) behind a command; never from a request body.

    ``country`` is required for focal points and heads of administration, optional for
    observers (None: all countries) and ignored for the global roles."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: Role
    country: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")

    @model_validator(mode="after")
    def _country_for_scoped_roles(self) -> Self:
        if self.role in COUNTRY_SCOPED_ROLES and self.country is None:
            raise ValueError(f"a {self.role.label} must have a country")
        return self


SYSTEM_ACTOR = Actor(name="system", role=Role.SYSTEM)

_EDITORS = frozenset({Role.FOCAL_POINT, Role.PROGRAMME_MANAGER})
_APPROVERS = frozenset({Role.HEAD_OF_ADMINISTRATION, Role.PROGRAMME_MANAGER})
_MANAGER = frozenset({Role.PROGRAMME_MANAGER})

# The "who" column of DOMAIN.md. The system role issues no commands: time raises events
# directly (domain.timers), not through decide().
COMMAND_ROLES: dict[str, frozenset[Role]] = {
    "open_plan": _MANAGER,
    "record_diagnostic_finding": _EDITORS,
    "complete_diagnostic": _EDITORS,
    "add_milestone": _EDITORS,
    "remove_milestone": _EDITORS,
    "define_indicator": _EDITORS,
    "remove_indicator": _EDITORS,
    "submit_for_approval": _EDITORS,
    "approve_plan": _APPROVERS,
    "request_changes": _APPROVERS,
    "report_milestone_progress": _EDITORS,
    "complete_milestone": _EDITORS,
    "reschedule_milestone": _MANAGER,
    "record_measurement": _EDITORS,
    "revise_indicator_target": _MANAGER,
    "start_evaluation": _MANAGER,
    "rate_key_factor": _MANAGER,
    "close_plan": _MANAGER,
    "cancel_plan": _MANAGER,
}


def check_role(command_type: str, actor: Actor) -> None:
    """Raise ``not_permitted`` unless the actor's role may send this command type."""
    allowed = COMMAND_ROLES.get(command_type, frozenset())
    if actor.role not in allowed:
        who = " or ".join(sorted(r.with_article for r in allowed)) or "nobody"
        raise DomainError(
            NOT_PERMITTED,
            f"{actor.role.with_article.capitalize()} may not {command_label(command_type)}; "
            f"only {who} may.",
        )


def check_scope(actor: Actor, plan_country: str) -> None:
    """Raise ``out_of_scope`` when a country-scoped actor acts on another country's plan."""
    if actor.role in COUNTRY_SCOPED_ROLES and actor.country != plan_country:
        raise DomainError(
            OUT_OF_SCOPE,
            f"{actor.name} acts for {actor.country} and may not act on a plan of {plan_country}.",
        )


def authorize(command: Command, actor: Actor, plan_country: str) -> None:
    """The whole write policy: role allowed for the command type, then country scope."""
    check_role(command.type, actor)
    check_scope(actor, plan_country)


def can_read(actor: Actor, plan_country: str) -> bool:
    """Read scoping: global roles see every plan; country-bound readers see their own only."""
    if actor.role in COUNTRY_SCOPED_ROLES:
        return actor.country == plan_country
    if actor.role is Role.OBSERVER:
        return actor.country is None or actor.country == plan_country
    return True
