"""Refuse cross-site form posts to the UI's actions.

A browser sends a site's basic-auth credentials with any request to it, also from a form on
another site; so the UI's state-changing posts (``POST /ui/...``) must come from a page of the
same origin. Browsers say where a request comes from (``Sec-Fetch-Site``, ``Origin``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.responses import PlainTextResponse

__all__ = ["SameOriginPosts"]


class SameOriginPosts:
    """Answer 403 to a ``POST /ui/...`` whose ``Sec-Fetch-Site`` or ``Origin`` names another
    site. Requests without either header (scripts, tests, old browsers) pass."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].startswith("/ui/")
            and not _same_origin(dict(scope["headers"]))
        ):
            response = PlainTextResponse(
                "Refused: UI actions are only accepted from the UI's own pages.", status_code=403
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _same_origin(headers: dict[bytes, bytes]) -> bool:
    site = headers.get(b"sec-fetch-site")
    if site is not None:
        return site in (b"same-origin", b"none")
    origin = headers.get(b"origin")
    if origin is None or origin == b"null":
        return origin is None
    host = headers.get(b"host", b"").decode("latin-1")
    return urlsplit(origin.decode("latin-1")).netloc == host
