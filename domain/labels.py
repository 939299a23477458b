"""What each command does, in words a programme manager reads in a refusal message.

Each command declares its own ``label`` (domain.commands); this is the lookup by type name.
"""

from __future__ import annotations

from domain.commands import COMMAND_BY_TYPE

COMMAND_LABELS: dict[str, str] = {name: c.label for name, c in COMMAND_BY_TYPE.items()}


def command_label(command_type: str) -> str:
    return COMMAND_LABELS.get(command_type, command_type.replace("_", " "))
