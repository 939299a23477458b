"""The refusals each operation declares in the OpenAPI document, with the one error body
(api.errors.ErrorBody) and an example each, so a generated client knows every answer it can
get. Answers any operation may give (422, 429, 500, 503) are declared once on the app."""

from __future__ import annotations

from typing import Any

from api.errors import ErrorBody

Responses = dict[int | str, dict[str, Any]]


def refusal(description: str, example: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": ErrorBody,
        "description": description,
        "content": {"application/json": {"example": example}},
    }


UNAUTHORIZED: Responses = {
    401: refusal(
        "No token, or an unknown or revoked one (`WWW-Authenticate: Bearer`)",
        {"error": "unauthorized", "message": "The token is unknown, expired or revoked."},
    )
}
NOT_VISIBLE: Responses = {
    404: refusal(
        "No such plan, or not one the caller may see (`rule`: plan_not_found)",
        {
            "error": "not_found",
            "rule": "plan_not_found",
            "message": "There is no plan GHA-2026 you may see.",
            "details": {"plan_id": "GHA-2026"},
        },
    )
}
NOT_PERMITTED: Responses = {
    403: refusal(
        "The role may not do this (`rule`: not_permitted)",
        {
            "error": "forbidden",
            "rule": "not_permitted",
            "message": "Observers may not read notifications.",
        },
    )
}
NOT_MODIFIED: Responses = {
    304: {"description": "The client's `If-None-Match` names the current `ETag`; no body"}
}
