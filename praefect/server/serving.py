"""uvicorn's server for the praefect app: it ends the web UI's live streams as soon as it begins
to stop, and writes each response in one piece.

uvicorn stops by waiting for the responses in flight to finish (up to
``timeout_graceful_shutdown``, then it cancels them and logs each one's traceback), and only then
runs the app's lifespan shutdown: too late for a live stream, which would keep the server waiting
for up to a minute. ``Server`` tells the streams to end first.

uvicorn writes a response's status line and headers to the socket as soon as the app sends them,
then the body: two system calls (and two TCP segments the client wakes up for) where one would
do. On a loaded machine those writes were a fifth of the server's CPU per request.
``Server`` serves HTTP/1.1 with ``HttpToolsProtocol`` over a transport that gathers the writes of
one turn of the event loop and sends them at its end with one ``writelines`` (one ``writev``).

>>> import uvicorn
>>> from praefect.server.app import create_app
>>> server = Server(uvicorn.Config(create_app(database_url="sqlite:///:memory:")))
>>> server.run()  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import uvicorn

from praefect.ui import streams

__all__ = ["GatheredWrites", "Server"]

_FLUSH_AT = 64 * 1024
"""Bytes held back at most: a larger response goes out without waiting for the turn's end."""


class GatheredWrites:
    """A transport whose ``write`` calls made in one turn of the event loop reach the socket
    together, at the end of that turn (or at once beyond ``_FLUSH_AT`` bytes, or on ``close``).
    Everything else is the wrapped transport's."""

    __slots__ = ("_held", "_loop", "_size", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] | None = None
        self._size = 0

    def write(self, data: bytes) -> None:
        if self._held is None:
            self._held = [data]
            self._size = len(data)
            self._loop.call_soon(self.flush)
        else:
            self._held.append(data)
            self._size += len(data)
        if self._size > _FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        held, self._held = self._held, None
        if held is None or self._transport.is_closing():
            return
        if len(held) == 1:
            self._transport.write(held[0])
        else:
            self._transport.writelines(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _protocol_class() -> Any:
    """``HttpToolsProtocol`` on a ``GatheredWrites`` transport; None without httptools."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:
        return None

    class GatheringHttpToolsProtocol(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.transport = GatheredWrites(transport, self.loop)  # type: ignore[assignment]

    return GatheringHttpToolsProtocol


class Server(uvicorn.Server):
    """``uvicorn.Server`` that closes the app's live streams when it begins to shut down (on
    Ctrl-C, SIGTERM or ``should_exit``), so it stops at once, and gathers each response's
    writes (see the module's text) unless ``config.http`` names a protocol."""

    def __init__(self, config: uvicorn.Config) -> None:
        if config.http == "auto":
            protocol = _protocol_class()
            if protocol is not None:
                config.http = protocol
        super().__init__(config)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        streams.close(self.config.app)
        await super().shutdown(sockets)
