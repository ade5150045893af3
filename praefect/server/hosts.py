"""``HostGuard``: a server on this machine's loopback answers only requests that name it.

DNS rebinding: a web page on ``evil.example`` makes its own name resolve to ``127.0.0.1`` a
moment after it loaded, and from then on the browser lets it call ``http://evil.example:4200``
(the page's own origin, so no CORS, no ``Origin`` check stops it) while the requests go to a
praefect server on the user's machine. They carry ``Host: evil.example:4200``: a server that
listens on a loopback address answers only a ``Host`` that is a loopback name or address
(``localhost``, ``*.localhost``, ``127.0.0.1``, ``[::1]``), the address it listens on, or a
name of ``PRAEFECT_SERVER_ALLOWED_HOSTS``; any other gets 400 before any route runs. Listing
names turns the check on for a server listening on other addresses too; ``*`` turns it off.

>>> guard = HostGuard(None, listening_on="127.0.0.1", extra_hosts=["praefect.internal"])
>>> [guard.allows(h) for h in (b"localhost:4200", b"[::1]:4200", b"praefect.internal", b"evil.example:4200")]
[True, True, True, False]
>>> HostGuard(None, listening_on="0.0.0.0", extra_hosts=[]).active
False
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["HostGuard", "is_loopback"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, no port) names this machine's loopback.

    >>> is_loopback("localhost"), is_loopback("api.localhost"), is_loopback("::1"), is_loopback("10.0.0.1")
    (True, True, True, False)
    """
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _name(header: bytes) -> str:
    """The host of a ``Host`` header, without its port (``[::1]:4200`` -> ``::1``)."""
    text = header.decode("latin-1").strip().lower()
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else text[1:]
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


class HostGuard:
    """ASGI middleware: 400 to a request whose ``Host`` is none of the names this server
    answers to, when ``active`` (it listens on a loopback address, or ``extra_hosts`` lists
    names; ``*`` among them: never)."""

    def __init__(self, app: ASGIApp, listening_on: str, extra_hosts: Sequence[str]) -> None:
        self.app = app
        self.listening_on = listening_on
        extra = {host.strip().rstrip(".").lower() for host in extra_hosts if host.strip()}
        self.active = "*" not in extra and (bool(extra) or is_loopback(listening_on))
        self.allowed = extra | {listening_on.strip("[]").lower()}

    def allows(self, header: bytes | None) -> bool:
        """Whether a request with this ``Host`` header (None: it sent none) is answered."""
        if header is None or not self.active:
            return True
        name = _name(header).rstrip(".")
        return name in self.allowed or is_loopback(name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket") or not self.active:
            await self.app(scope, receive, send)
            return
        host = next((value for key, value in scope["headers"] if key == b"host"), None)
        if self.allows(host):
            await self.app(scope, receive, send)
            return
        shown = (host or b"").decode("latin-1")
        detail = (
            f"Refused: this server listens on {self.listening_on} and answers to loopback "
            f"names, not to Host {shown!r} (a page of another site whose name was made to "
            "point here, DNS rebinding, would send it). To reach the server under that name, "
            "add it to PRAEFECT_SERVER_ALLOWED_HOSTS (see docs/security.md)."
        )
        if kind == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": detail[:120]})
            return
        await JSONResponse({"detail": detail}, status_code=400)(scope, receive, send)
