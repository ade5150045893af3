"""Helpers for testing flows (Prefect's ``prefect.testing.utilities``).

>>> from praefect.testing.utilities import prefect_test_harness
>>> with prefect_test_harness():
...     pass  # every run in here goes to a throw-away database
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import functools
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from praefect import settings as _settings
from praefect.utilities import clock as _clock

__all__ = [
    "FrozenClock",
    "frozen_time",
    "get_most_recent_flow_run",
    "praefect_test_harness",
    "prefect_test_harness",
]


@contextlib.contextmanager
def prefect_test_harness(server_startup_timeout: int | None = 30) -> Iterator[None]:
    """Run the block against a real praefect server on a free loopback port, on a fresh
    temporary home and SQLite database; the API URL points at it for every thread.

    The server (the FastAPI app under uvicorn) runs in a background thread of this process and
    starts in a fraction of a second. On exit, queued records are flushed, the server stops, the
    database is closed and the previous settings come back. ``server_startup_timeout`` bounds the
    wait for the server to answer (``None``: wait as long as it takes).
    """
    from praefect import client as _client

    with tempfile.TemporaryDirectory(prefix="praefect-test-", ignore_cleanup_errors=True) as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'praefect.db'}"
        updates: dict[str, Any] = {"home": home, "database_url": url, "api_url": None}
        with _settings.temporary_settings(updates, process_wide=True):
            server = _ServerThread(database_url=url)
            server.start(timeout=server_startup_timeout)
            try:
                with _settings.temporary_settings({"api_url": server.api_url}, process_wide=True):
                    try:
                        yield
                    finally:
                        _client.drop_orchestration_clients(server.api_url)
            finally:
                server.stop()
                _client.drop_orchestration_clients(url)


class _ServerThread:
    """The praefect API (``praefect.server.app.create_app()``) under uvicorn, in a daemon thread
    of this process, on a loopback port (a free one unless ``port`` is given, so a test can stop
    the server and start it again where clients expect it)."""

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        database_url: str | None = None,
        app: Any = None,
    ) -> None:
        self.host = host
        self.port = port
        self.database_url = database_url
        """The server's database (default: the current settings')."""
        self.app = app
        """The ASGI app to serve (default: ``create_app()``, built at ``start``)."""
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    def start(self, timeout: float | None = 30) -> None:
        """Bind the port, start serving, and return once the server accepts requests."""
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        app = self.app
        if app is None:
            from praefect.server import app as _app

            app = _app.create_app(database_url=self.database_url)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="auto")
        server = self._server = _fast_stop_server_class()(config)
        errors: list[BaseException] = []

        def serve() -> None:
            try:
                asyncio.run(server.serve(sockets=[sock]))
            except BaseException as exc:  # reported by start() when it happens at startup
                errors.append(exc)
            finally:
                sock.close()

        self._thread = threading.Thread(target=serve, name="praefect-test-server", daemon=True)
        self._thread.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        while not server.started:
            if errors or not self._thread.is_alive():
                raise RuntimeError(
                    f"The praefect test server did not start on {self.api_url}: "
                    f"{errors[0] if errors else 'its thread exited'}"
                )
            if deadline is not None and time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(
                    f"The praefect test server did not start on {self.api_url} within {timeout} s."
                )
            time.sleep(0.001)

    def stop(self) -> None:
        """Stop serving (requests in flight finish) and wait for the thread to end."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.request_stop()
        if thread is not None:
            thread.join(10)


@functools.cache  # built on first use: uvicorn is heavy
def _fast_stop_server_class() -> Any:
    import uvicorn

    class FastStopServer(uvicorn.Server):
        """uvicorn's server, stopping as soon as asked: its main loop ticks every 0.1 s and its
        shutdown pauses 0.1 s more, which would make most of the harness's cost."""

        _stop: asyncio.Event | None = None
        _loop: asyncio.AbstractEventLoop | None = None

        def request_stop(self) -> None:
            self.should_exit = True
            loop, stop = self._loop, self._stop
            if loop is not None and stop is not None:
                with contextlib.suppress(RuntimeError):  # the loop already ended
                    loop.call_soon_threadsafe(stop.set)

        async def main_loop(self) -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            counter = 0
            while not await self.on_tick(counter):
                counter = (counter + 1) % 864000
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 0.1)

        async def shutdown(self, sockets: Any = None) -> None:
            for server in self.servers:
                server.close()
            for connection in list(self.server_state.connections):
                connection.shutdown()
            for _ in range(100):  # idle connections close at once; busy ones finish first
                if not self.server_state.connections and not self.server_state.tasks:
                    break
                await asyncio.sleep(0.01 if _ < 10 else 0.1)
            for server in self.servers:
                await server.wait_closed()
            if not self.force_exit:
                await self.lifespan.shutdown()

    return FastStopServer


praefect_test_harness = prefect_test_harness


def get_most_recent_flow_run(client: Any = None, flow_name: str | None = None) -> Any:
    """The newest flow run (of ``flow_name`` if given), or None.

    >>> with prefect_test_harness():
    ...     get_most_recent_flow_run() is None
    True
    """
    from praefect.client import orchestration
    from praefect.schemas import filters

    client = client or orchestration.get_client(sync_client=True)
    flow_filter = None
    if flow_name is not None:
        flow_filter = filters.FlowFilter(name=filters.FlowFilterName(any_=[flow_name]))
    runs = client.read_flow_runs(flow_filter=flow_filter, limit=1)
    return runs[0] if runs else None


class FrozenClock(_clock.ManualClock):
    """The clock of ``frozen_time()``: it stands still; ``advance()`` moves it and then runs one
    pass of the server's scheduler and late-runs check at the new time; a run that waits (a
    retry delay) moves it forward by the wait, at once."""

    def __init__(self, start: _dt.datetime, run_services: bool = True) -> None:
        super().__init__(start)
        self._run_services = run_services

    def advance(self, by: float | _dt.timedelta) -> _dt.datetime:
        """Move forward by ``by`` (seconds or a timedelta), then run the services once (unless
        ``frozen_time(run_services=False)``); return the new time."""
        when = super().advance(by)
        if self._run_services:
            self.run_services()
        return when

    def sleep(self, seconds: float) -> None:
        # A run's own wait only moves time: services passes come from the test's advance().
        super().advance(max(0.0, seconds))

    def run_services(self) -> dict[str, Any]:
        """One pass of the scheduler (new Scheduled runs of every active schedule), of the
        late-runs check (Scheduled runs past their time become Late) and of the pause expiry
        check (paused runs past their timeout become Failed) at this clock's time, on
        the database of the current settings; returns what each did. Crash detection is left
        out: a frozen clock stops heartbeats from looking fresh."""
        from praefect.server import services

        chosen: list[services.Service] = [
            services.Scheduler(),
            services.MarkLateRuns(),
            services.FailExpiredPauses(),
        ]
        return services.ServiceRunner(chosen, clock=self).run_once()


@contextlib.contextmanager
def frozen_time(
    start: _dt.datetime | None = None, run_services: bool = True
) -> Iterator[FrozenClock]:
    """Freeze praefect's clock for the block (every thread): state times, retry delays, the
    scheduler and the late-runs check all go by a ``FrozenClock`` that starts at ``start``
    (timezone-aware; default: now) and moves only when told. A task with
    ``retries=3, retry_delay_seconds=60`` fails through its retries at once, the clock three
    minutes later; ``clock.advance(3600)`` inserts the scheduled runs of the next hour and marks
    the overdue ones Late. Use it inside ``prefect_test_harness()``: the services passes write
    to the current database.

    >>> from praefect import flow
    >>> with prefect_test_harness(), frozen_time() as clock:
    ...     before = clock.now()
    ...     @flow(retries=1, retry_delay_seconds=600)
    ...     def flaky() -> None:
    ...         if clock.now() == before:
    ...             raise ValueError("first attempt")
    ...     flaky()
    ...     (clock.now() - before).total_seconds()
    600.0
    """
    clock = FrozenClock(start or _dt.datetime.now(_dt.UTC), run_services=run_services)
    with _clock.use_clock(clock):
        yield clock
