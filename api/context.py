"""What every request handler needs, built once at start-up by workers/ and passed in."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from temporalio.client import Client

from api.errors import ApiError
from api.users import actor_for_token
from domain import Actor


@dataclass(frozen=True)
class ApiContext:
    pool: asyncpg.Pool
    temporal: Client
    task_queue: str


def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


_bearer = HTTPBearer(auto_error=False, description="A token from `acip users add`.")


async def get_actor(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    context: ApiContext = Depends(get_context),
) -> Actor:
    """The actor of every command comes from authentication, never from the body."""
    token = credentials.credentials if credentials else request.cookies.get("acip_token")
    if not token:
        raise ApiError(401, "unauthorized", "Send 'Authorization: Bearer <token>'.")
    actor = await actor_for_token(context.pool, token)
    if actor is None:
        raise ApiError(401, "unauthorized", "The token is unknown or revoked.")
    return actor
