"""The roles a user can have (DOMAIN.md, "Who the users are").

Its own module, below everything else in domain/, so commands, events and state can name
roles without importing the access policy (which itself reads the commands' declarations).
"""

from __future__ import annotations

from domain.vocabulary import Vocabulary


class Role(Vocabulary):
    PROGRAMME_MANAGER = "programme_manager"
    FOCAL_POINT = "focal_point"
    HEAD_OF_ADMINISTRATION = "head_of_administration"
    AUDITOR = "auditor"
    OBSERVER = "observer"
    SYSTEM = "system"

    @property
    def with_article(self) -> str:
        """'an auditor', 'a focal point': for messages a person reads."""
        return f"{'an' if self.value[0] in 'aeiou' else 'a'} {self.label}"


# Roles whose every action is limited to the actor's own country.
COUNTRY_SCOPED_ROLES: frozenset[Role] = frozenset({Role.FOCAL_POINT, Role.HEAD_OF_ADMINISTRATION})

EDITORS: frozenset[Role] = frozenset({Role.FOCAL_POINT, Role.PROGRAMME_MANAGER})
APPROVERS: frozenset[Role] = frozenset({Role.HEAD_OF_ADMINISTRATION, Role.PROGRAMME_MANAGER})
MANAGER: frozenset[Role] = frozenset({Role.PROGRAMME_MANAGER})
