"""A body the OpenAPI document calls valid is refused only by a domain rule, never by
validation the document does not state (issue 18).

schemathesis generates schema-valid bodies (its positive mode) for both command operations
from the app's own document; each must pass the very models the API validates with, so
the server's answer can only be a success, a domain refusal (409) or a role or scope
refusal (403/404), never a 422. No server is needed: a 422 is these models' verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError
from schemathesis.generation import GenerationMode

from api.app import openapi_document
from api.routes_plans import OpenPlanRequest
from domain import parse_command

BODIES_PER_OPERATION = 300


def open_plan(body: dict[str, Any]) -> object:
    return OpenPlanRequest.model_validate(body)


@pytest.mark.parametrize(
    ("path", "validate"), [("/plans", open_plan), ("/plans/{plan_id}/commands", parse_command)]
)
def test_schema_valid_bodies_pass_validation(
    path: str, validate: Callable[[dict[str, Any]], object]
) -> None:
    document = openapi_document()
    operation = schemathesis.openapi.from_dict(document)[path]["POST"]
    refused: Counter[str] = Counter()
    seen: Counter[str] = Counter()

    @settings(
        max_examples=BODIES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def check(case: schemathesis.Case) -> None:
        assert isinstance(case.body, dict)
        seen[str(case.body.get("type", "open_plan"))] += 1
        try:
            validate(case.body)
        except ValidationError as error:
            first = error.errors()[0]
            refused[f"{'.'.join(map(str, first['loc']))}: {first['type']}"] += 1

    check()
    assert refused == Counter(), f"schema-valid bodies refused by validation: {refused}"
    # The bodies covered the commands, not one of them over and over.
    assert len(seen) >= (1 if path == "/plans" else 10), seen
