"""What a web page may make a user's browser send to the API.

Any page a user opens can make their browser send requests to a server on ``localhost``. CORS
only hides the *answer* from that page: a "simple" request (a ``POST`` with a ``text/plain``,
form or blob body, or none) is sent without asking first and runs on the server all the same.
So the API refuses, before any route runs:

- a request to ``/api`` (a WebSocket handshake too) whose ``Origin`` header names another origin
  than the server's own, unless ``PRAEFECT_SERVER_CORS_ALLOWED_ORIGINS`` allows it (403);
- a ``POST``/``PUT``/``PATCH``/``DELETE`` body to ``/api`` that is not JSON (415): browsers ask
  first (a CORS preflight) before sending ``application/json`` cross-origin, never before a
  ``text/plain`` body.

Clients that are not browsers (praefect's and Prefect's clients, curl, scripts) send no
``Origin`` and send JSON, and are not affected.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["BrowserGuard", "is_json_content_type"]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_json_content_type(value: bytes | None) -> bool:
    """Whether a ``Content-Type`` header value names JSON (``application/json`` or any
    ``application/...+json``), parameters aside.

    >>> is_json_content_type(b"application/json; charset=utf-8")
    True
    >>> is_json_content_type(b"text/plain")
    False
    """
    if value is None:
        return False
    media = value.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


def _has_body(headers: dict[bytes, bytes]) -> bool:
    length = headers.get(b"content-length")
    if length is not None:
        return length.strip() not in (b"", b"0")
    return b"transfer-encoding" in headers


class BrowserGuard:
    """ASGI middleware for the paths under ``prefix``: 403 to a request from a foreign
    ``Origin`` (unless ``allowed_origins`` names it, or is ``["*"]``), 415 to a non-JSON body."""

    def __init__(self, app: ASGIApp, allowed_origins: Sequence[str], prefix: str = "/api") -> None:
        self.app = app
        self.any_origin = "*" in allowed_origins
        self.allowed = {origin.rstrip("/").lower() for origin in allowed_origins}
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        path: str = scope.get("path", "")
        if kind not in ("http", "websocket") or not (
            path == self.prefix or path.startswith(self.prefix + "/")
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        refusal = self._refusal(kind, scope.get("method", "GET"), headers)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        status, detail = refusal
        if kind == "websocket":
            # Refusing the handshake before it is accepted answers it with HTTP 403.
            await send({"type": "websocket.close", "code": 1008, "reason": detail[:120]})
            return
        await JSONResponse({"detail": detail}, status_code=status)(scope, receive, send)

    def _refusal(
        self, kind: str, method: str, headers: dict[bytes, bytes]
    ) -> tuple[int, str] | None:
        origin = headers.get(b"origin")
        if origin is not None and not self._origin_allowed(origin, headers.get(b"host")):
            shown = origin.decode("latin-1")
            return 403, (
                f"Refused: a request from the web page origin {shown!r}, which is not this "
                "server's own. To let pages of that origin use the API, add it to "
                "PRAEFECT_SERVER_CORS_ALLOWED_ORIGINS (see docs/security.md)."
            )
        if (
            kind == "http"
            and method in _BODY_METHODS
            and _has_body(headers)
            and not is_json_content_type(headers.get(b"content-type"))
        ):
            sent = headers.get(b"content-type")
            shown = "none" if sent is None else repr(sent.decode("latin-1"))
            return 415, (
                f"Unsupported content type ({shown}): the API accepts JSON bodies only; "
                "send them with 'Content-Type: application/json'."
            )
        return None

    def _origin_allowed(self, origin: bytes, host: bytes | None) -> bool:
        if self.any_origin:
            return True
        text = origin.decode("latin-1").rstrip("/").lower()
        if text in self.allowed:
            return True
        # The server's own pages (the UI) send their own origin: same host and port.
        return host is not None and urlsplit(text).netloc == host.decode("latin-1").lower()
