"""The base of the domain's vocabularies (key factors, roles, phases): enums whose values
are snake_case English, so that a value's label is the value in words."""

from __future__ import annotations

from enum import StrEnum


class Vocabulary(StrEnum):
    @property
    def label(self) -> str:
        """Human label, e.g. 'leadership and commitment', 'focal point', 'under review'."""
        return self.value.replace("_", " ")
