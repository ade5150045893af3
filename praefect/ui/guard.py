"""Refuse cross-site form posts to the UI's actions.

A browser sends a site's cookies and basic-auth credentials with any request to it, also from a
form on another site; so the UI's state-changing posts (``POST /ui/...``) must come from a page
the UI served. Two checks, each enough on its own in today's browsers:

- where the request comes from: ``Sec-Fetch-Site`` or ``Origin`` naming another site;
- a CSRF token (double-submit cookie): every page sets a random token in the ``praefect_csrf``
  cookie (``SameSite=Strict``, ``HttpOnly``) and puts the same token in its forms (a hidden
  ``csrf_token`` field) and in the ``X-CSRF-Token`` header of its htmx requests. A post whose
  token does not match the cookie is refused: another site can make the browser send the
  cookie, but cannot read it or the page to learn the token.
"""

from __future__ import annotations

import hmac
import re
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from praefect.server.bodies import read_body

__all__ = ["COOKIE", "FIELD", "HEADER", "FormGuard"]

COOKIE = "praefect_csrf"
"""The cookie holding the browser's CSRF token."""
FIELD = "csrf_token"
"""The form field carrying the token."""
HEADER = "X-CSRF-Token"
"""The header carrying the token (htmx requests)."""
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
_MAX_FORM_BYTES = 1024 * 1024


class FormGuard:
    """Give each browser a CSRF token (``scope["state"]["csrf_token"]``, read by the templates)
    and answer 403 to a ``POST /ui/...`` from another site or without the token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(("/api/", "/static/")):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        cookie = _cookie_token(headers.get(b"cookie"))
        token = cookie or secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf_token"] = token
        if scope["method"] == "POST" and path.startswith("/ui/"):
            refusal = None
            if not _same_origin(headers):
                refusal = "Refused: UI actions are only accepted from the UI's own pages."
            else:
                sent, receive = await _sent_token(headers, receive)
                if cookie is None or sent is None or not hmac.compare_digest(sent, cookie):
                    refusal = (
                        "Refused: this form's CSRF token is missing or stale (UI actions are "
                        "only accepted from the UI's own pages). Reload the page and try again."
                    )
            if refusal is not None:
                await PlainTextResponse(refusal, status_code=403)(scope, receive, send)
                return
        if cookie is not None:
            await self.app(scope, receive, send)
            return
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        set_cookie = f"{COOKIE}={token}; Path=/; SameSite=Strict; HttpOnly{secure}".encode()

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", set_cookie)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookie_token(header: bytes | None) -> str | None:
    if header is None:
        return None
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(header.decode("latin-1"))
    except Exception:
        return None
    morsel = cookies.get(COOKIE)
    if morsel is None or not _TOKEN.fullmatch(morsel.value):
        return None
    return morsel.value


async def _sent_token(headers: dict[bytes, bytes], receive: Receive) -> tuple[str | None, Receive]:
    """The token the request carries (header, else form field), and a ``receive`` that
    replays the body read to find it."""
    header = headers.get(HEADER.lower().encode())
    if header is not None:
        return header.decode("latin-1"), receive
    content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    if content_type != b"application/x-www-form-urlencoded":
        return None, receive
    body, replaying = await read_body(receive, _MAX_FORM_BYTES)
    values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(FIELD)
    return (values[0] if values else None), replaying


def _same_origin(headers: dict[bytes, bytes]) -> bool:
    site = headers.get(b"sec-fetch-site")
    if site is not None:
        return site in (b"same-origin", b"none")
    origin = headers.get(b"origin")
    if origin is None or origin == b"null":
        return origin is None
    host = headers.get(b"host", b"").decode("latin-1")
    return urlsplit(origin.decode("latin-1")).netloc == host
