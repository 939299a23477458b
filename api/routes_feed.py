"""GET /events: the events a reader may see, across every plan, resumable (api.feed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from api.context import ApiContext, get_actor, get_context
from api.declared import NOT_MODIFIED
from api.feed import feed_page
from api.schemas import FeedPage, StoredEvent
from domain import Actor

router = APIRouter(tags=["feed"], responses=NOT_MODIFIED)

MAX_FEED_PAGE = 1000
# Global positions are 64-bit (a transaction id times 1024, plus the index in its batch).
MAX_POSITION = 2**63 - 1

After = Annotated[
    int,
    Query(
        ge=0,
        le=MAX_POSITION,
        description="Resume after this global position: 0 from the start, else a page's next",
    ),
]
FeedLimit = Annotated[
    int, Query(ge=1, le=MAX_FEED_PAGE, description=f"Events per page (1-{MAX_FEED_PAGE})")
]


@router.get(
    "/events",
    summary="Every event the caller may see, in commit-safe order, from a position",
    response_model=FeedPage,
)
async def events_feed(
    request: Request,
    response: Response,
    after: After = 0,
    limit: FeedLimit = 100,
    actor: Actor = Depends(get_actor),
    context: ApiContext = Depends(get_context),
) -> FeedPage:
    """Plans' events as their readers may see them (refused attempts too, for auditors
    and programme managers); no event is ever inserted below a position already served,
    so `after=<next>` never misses one. An empty page means nothing new: ask again later
    with the same `after`."""
    found, resume = await feed_page(context.store, actor, after, limit)
    query = f"after={resume}&limit={limit}"
    links = [f'<{request.url.path}?after=0&limit={limit}>; rel="first"']
    links.append(f'<{request.url.path}?{query}>; rel="next"')
    response.headers["Link"] = ", ".join(links)
    return FeedPage(
        events=[StoredEvent.model_validate(e.model_dump()) for e in found],
        next=resume,
        limit=limit,
    )
