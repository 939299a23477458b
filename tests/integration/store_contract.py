"""What the event-store tests share: stream names, events, the type of the ``make_store``
fixture (tests/integration/conftest.py: either implementation, by parameter).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from eventstore import EventStore, NewEvent

StoreFactory = Callable[..., EventStore]


def stream(prefix: str = "plan") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def event(type: str = "task_assigned", **data: Any) -> NewEvent:
    return NewEvent(
        event_id=uuid.uuid4(),
        type=type,
        data=data or {"task": "t-1"},
        metadata={"actor": "u-1", "role": "focal_point", "correlation_id": "c-1"},
        occurred_at=datetime.now(UTC),
    )
