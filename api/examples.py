"""One example body per command, shown in OpenAPI's "Try it out": each command's own
``example`` (domain.commands)."""

from __future__ import annotations

from typing import Any

from domain.commands import COMMAND_BY_TYPE, OpenPlan

OPEN_PLAN_EXAMPLE: dict[str, Any] = {"open_plan": {"summary": "Open", "value": OpenPlan.example}}

COMMAND_EXAMPLES: dict[str, Any] = {
    name: {"summary": name.replace("_", " "), "value": {"type": name, **command.example}}
    for name, command in COMMAND_BY_TYPE.items()
    if command is not OpenPlan
}
