"""Run the server on a free loopback port in a background thread (tests and the test harness).

>>> with BackgroundServer(database_url="sqlite:///:memory:") as server:  # doctest: +SKIP
...     httpx.get(server.api_url + "/health").json()
True
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

__all__ = ["BackgroundServer"]


class BackgroundServer:
    """A uvicorn server for ``create_app(...)`` in a daemon thread; ``api_url`` is its
    ``http://127.0.0.1:<port>/api``. Starts on ``start()`` (or ``with``), stops on ``stop()``."""

    def __init__(self, app: Any = None, host: str = "127.0.0.1", **app_kwargs: Any) -> None:
        if app is None:
            from praefect.server.app import create_app

            app = create_app(**app_kwargs)
        self.app = app
        self.host = host
        self.port = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        import uvicorn

        from praefect.server import serving

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
        )
        self._server = serving.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="praefect-server"
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("The praefect server did not start.")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
