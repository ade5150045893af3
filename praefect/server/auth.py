"""Authentication: HTTP basic auth with ``PRAEFECT_SERVER_API_AUTH_STRING`` (``user:password``)
and/or bearer API keys from ``PRAEFECT_SERVER_API_KEYS``.

A plain ASGI middleware, so a refused request never reaches a route (nothing is parsed, nothing
is written). ``/api/health`` stays open for load balancers and readiness probes.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Sequence
from typing import Any

from starlette.responses import JSONResponse

__all__ = ["OPEN_PATHS", "AuthMiddleware", "parse_api_keys"]

OPEN_PATHS = frozenset({"/api/health"})
"""Paths answered without credentials."""


def parse_api_keys(value: str | None) -> list[str]:
    """The API keys of a comma-separated setting, blanks dropped.

    >>> parse_api_keys(" k1, ,k2 ")
    ['k1', 'k2']
    """
    return [key.strip() for key in (value or "").split(",") if key.strip()]


class AuthMiddleware:
    """Refuse, with 401, every HTTP request but those to ``OPEN_PATHS`` that carries neither the
    basic-auth string nor one of the API keys."""

    def __init__(self, app: Any, auth_string: str | None, api_keys: Sequence[str]) -> None:
        self.app = app
        self.auth_string = (auth_string or "").encode()
        self.api_keys = [key.encode() for key in api_keys]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        if header is not None and self._accepts(header):
            await self.app(scope, receive, send)
            return
        expected = "basic auth" if self.auth_string else "a bearer API key"
        if self.auth_string and self.api_keys:
            expected = "basic auth or a bearer API key"
        reason = "no credentials were sent" if header is None else "the credentials are wrong"
        response = JSONResponse(
            {"detail": f"Not authenticated: this server requires {expected}; {reason}."},
            status_code=401,
            headers={"WWW-Authenticate": "Basic" if self.auth_string else "Bearer"},
        )
        await response(scope, receive, send)

    def _accepts(self, header: bytes) -> bool:
        scheme, _, credentials = header.strip().partition(b" ")
        scheme = scheme.lower()
        credentials = credentials.strip()
        if scheme == b"basic" and self.auth_string:
            try:
                decoded = base64.b64decode(credentials, validate=True)
            except (binascii.Error, ValueError):
                return False
            return hmac.compare_digest(decoded, self.auth_string)
        if scheme == b"bearer" and self.api_keys:
            # compare with every key, so the time taken does not tell which one nearly matched
            matches = [hmac.compare_digest(credentials, key) for key in self.api_keys]
            return any(matches)
        return False
