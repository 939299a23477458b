"""The witness over HTTP (FastAPI): submit, read what it cosigned, its key, its refusals.

- ``POST /checkpoints``: 200 with the cosignature, or 409 with the reason and the size of
  the last checkpoint it cosigned (what the next submission must extend).
- ``GET /checkpoints``: every cosigned checkpoint, with the consistency proof and frontier
  it checked, and the operator keys it trusts; an auditor needs nothing else from here.
- ``GET /key``: the witness's public key (pin it: copy it out once, compare later).
- ``GET /refusals``: every refused submission and why.
"""

from __future__ import annotations

from typing import Any

from fastapi import Body, FastAPI
from fastapi.responses import JSONResponse

from witness.service import RefusedError, Witness


def create_app(witness: Witness) -> FastAPI:
    app = FastAPI(title="acip witness", docs_url=None, redoc_url=None)

    @app.get("/key")
    def key() -> dict[str, str]:
        return {"key_id": witness.key_id, "public_key": witness.public_key.hex()}

    @app.post("/checkpoints", response_model=None)
    def submit(submission: dict[str, Any] = Body(...)) -> dict[str, Any] | JSONResponse:
        try:
            cosignature = witness.submit(submission)
        except RefusedError as refused:
            return JSONResponse(
                status_code=409,
                content={"refused": refused.reason, "last_size": refused.last_size},
            )
        return {
            "size": cosignature.size,
            "witness_key_id": cosignature.witness_key_id,
            "witnessed_at": cosignature.witnessed_at,
            "cosignature": cosignature.cosignature,
        }

    @app.get("/checkpoints")
    def cosigned() -> dict[str, Any]:
        return {
            "witness_key_id": witness.key_id,
            "witness_public_key": witness.public_key.hex(),
            "operator_keys": witness.operator_keys(),
            "checkpoints": witness.cosigned(),
        }

    @app.get("/refusals")
    def refusals() -> list[dict[str, Any]]:
        return witness.refusals()

    return app
