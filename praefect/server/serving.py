"""uvicorn's server for the praefect app, which ends the web UI's live streams as soon as it
begins to stop.

uvicorn stops by waiting for the responses in flight to finish (up to
``timeout_graceful_shutdown``, then it cancels them and logs each one's traceback), and only then
runs the app's lifespan shutdown: too late for a live stream, which would keep the server waiting
for up to a minute. ``Server`` tells the streams to end first.

>>> import uvicorn
>>> from praefect.server.app import create_app
>>> server = Server(uvicorn.Config(create_app(database_url="sqlite:///:memory:")))
>>> server.run()  # doctest: +SKIP
"""

from __future__ import annotations

import socket

import uvicorn

from praefect.ui import streams

__all__ = ["Server"]


class Server(uvicorn.Server):
    """``uvicorn.Server`` that closes the app's live streams when it begins to shut down (on
    Ctrl-C, SIGTERM or ``should_exit``), so it stops at once."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        streams.close(self.config.app)
        await super().shutdown(sockets)
