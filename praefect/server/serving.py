"""uvicorn's server for the praefect app: it ends the web UI's live streams as soon as it begins
to stop, writes each response in one piece, and can start the background services once it
listens.

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
>>> server.run(sockets=listen("127.0.0.1", 0))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from praefect.ui import streams

__all__ = ["GatheredWrites", "Server", "listen"]

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
    writes (see the module's text) unless ``config.http`` names a protocol; it calls
    ``on_started`` once it listens (``praefect server start`` starts its services then, so
    that their first passes do not delay its first answer)."""

    def __init__(
        self, config: uvicorn.Config, on_started: Callable[[], object] | None = None
    ) -> None:
        if config.http == "auto":
            protocol = _protocol_class()
            if protocol is not None:
                config.http = protocol
        super().__init__(config)
        self.on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.on_started is not None and not self.should_exit:
            self.on_started()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        streams.close(self.config.app)
        await super().shutdown(sockets)


def listen(host: str, port: int) -> list[socket.socket] | None:
    """A socket bound to ``host`` (an IPv4 address) and ``port``, for ``Server.run(sockets=...)``;
    None for any other host, which uvicorn resolves and binds itself. Bound here, an address
    costs no name resolution (the event loop's resolver threads and the ``idna`` codec, 0.6
    MiB). A bind error exits as uvicorn's does, with the same message.

    >>> [sock] = listen("127.0.0.1", 0)
    >>> sock.getsockname()[0]
    '127.0.0.1'
    >>> sock.close()
    >>> listen("localhost", 0) is None
    True
    """
    try:
        if ipaddress.ip_address(host).version != 4:
            return None
    except ValueError:
        return None
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        # asyncio's words (and uvloop's) for the same failure, which uvicorn logs and exits on
        message = f"error while attempting to bind on address {(host, port)!r}: "
        reason = (error.strerror or str(error)).lower()
        uvicorn.config.logger.error(OSError(error.errno, message + reason))
        raise SystemExit(3) from None  # uvicorn's STARTUP_FAILURE
    return [sock]
