"""The API's version and how a change is announced (docs/api.md, "Versions and changes").

Within a major version every change is additive: new operations, new optional request
fields, new response fields, new enum values in answers. A client must therefore ignore
response fields it does not know. Removing or renaming anything, or making a request
stricter, needs a new major version; before that the old operation is announced deprecated
for at least six months: ``deprecated: true`` in the OpenAPI document and, on every
successful answer of it, a ``Deprecation`` header (RFC 9745: ``@<unix seconds>`` of the
day it was deprecated), a ``Sunset`` header (RFC 8594) once the removal date is set, and a
``Link`` to what replaces it with ``rel="deprecation"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Any

from fastapi import Depends, Response

# Major.minor: the minor moves with every additive change, the major with a breaking one.
API_VERSION = "1.1"


@dataclass(frozen=True)
class Deprecation:
    since: date
    replacement: str  # a path or a docs URL: where a client should go instead
    sunset: date | None = None

    def headers(self) -> dict[str, str]:
        since = datetime.combine(self.since, datetime.min.time(), UTC)
        headers = {
            "Deprecation": f"@{int(since.timestamp())}",
            "Link": f'<{self.replacement}>; rel="deprecation"',
        }
        if self.sunset is not None:
            sunset = datetime.combine(self.sunset, datetime.min.time(), UTC)
            headers["Sunset"] = format_datetime(sunset, usegmt=True)
        return headers


def deprecated(notice: Deprecation) -> dict[str, Any]:
    """Keyword arguments for a route decorator: the operation is marked deprecated in the
    schema and every answer of it carries the headers, from one declaration.

    ``@router.get("/old", **deprecated(Deprecation(date(2027, 1, 1), "/new")))``
    """

    async def announce(response: Response) -> None:
        for name, value in notice.headers().items():
            response.headers[name] = value

    return {"deprecated": True, "dependencies": [Depends(announce)]}
