"""Whether an app's live streams (``praefect.ui.live``) are closed, apart from the streams
themselves, so the server can close them at shutdown without importing the UI.

>>> from fastapi import FastAPI
>>> app = FastAPI()
>>> close(app)
>>> of(app).closed
True
"""

from __future__ import annotations

import anyio
from starlette.applications import Starlette

__all__ = ["Streams", "close", "of"]


class Streams:
    """Whether an app's live streams are closed, and a way to wake those waiting between two
    looks at the database."""

    def __init__(self) -> None:
        self.closed = False
        self._waiting: set[anyio.Event] = set()

    async def pause(self, seconds: float) -> None:
        """Wait ``seconds``, or less if the streams are closed meanwhile."""
        if self.closed:
            return
        wake = anyio.Event()  # one per wait: made in the event loop that awaits it
        self._waiting.add(wake)
        try:
            with anyio.move_on_after(seconds):
                await wake.wait()
        finally:
            self._waiting.discard(wake)

    def close(self) -> None:
        self.closed = True
        for wake in self._waiting:
            wake.set()


def of(app: Starlette) -> Streams:
    """The ``Streams`` of ``app`` (made on first use)."""
    found = getattr(app.state, "live_streams", None)
    if found is None:
        found = app.state.live_streams = Streams()
    return found


def close(app: object) -> None:
    """End ``app``'s open live streams now, and any opened later at once, quietly: the
    server is stopping (uvicorn waits for the responses in flight before it stops). Call it from
    the server's event loop."""
    if isinstance(app, Starlette):  # not an import string
        of(app).close()
