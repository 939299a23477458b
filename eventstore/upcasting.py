"""Schema evolution on read: stored payloads stay as written, readers see the current shape.

An upcaster turns ``data`` of ``(event_type, from_version)`` into the shape of
``from_version + 1``. Upcasters chain: a v1 payload with upcasters 1->2 and 2->3 is read
as v3. Verification never upcasts: the hash covers the payload as stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UpcasterRegistry:
    def __init__(self) -> None:
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        self._types: set[str] = set()

    @classmethod
    def of(cls, table: Mapping[tuple[str, int], Upcaster]) -> UpcasterRegistry:
        """A registry of every ``(event_type, from_version) -> upcaster`` in ``table``, e.g.
        domain.upcasters.UPCASTERS."""
        registry = cls()
        for (event_type, from_version), upcaster in table.items():
            registry.register(event_type, from_version)(upcaster)
        return registry

    def register(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator: ``@registry.register("task_assigned", 1)`` on ``fn(data) -> data``."""
        if from_version < 1:
            raise ValueError("from_version starts at 1")

        def decorator(fn: Upcaster) -> Upcaster:
            key = (event_type, from_version)
            if key in self._upcasters:
                raise ValueError(f"an upcaster for {event_type} v{from_version} exists already")
            self._upcasters[key] = fn
            self._types.add(event_type)
            return fn

        return decorator

    def handles(self, event_type: str) -> bool:
        # A set lookup per event keeps reads of types without upcasters at full speed.
        return event_type in self._types

    def upcast(
        self, event_type: str, schema_version: int, data: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Apply every upcaster from ``schema_version`` on; return (version, data)."""
        while (fn := self._upcasters.get((event_type, schema_version))) is not None:
            data = fn(data)
            schema_version += 1
        return schema_version, data

    def current_version(self, event_type: str, schema_version: int = 1) -> int:
        """The schema version a payload stored at ``schema_version`` is read as."""
        while (event_type, schema_version) in self._upcasters:
            schema_version += 1
        return schema_version
