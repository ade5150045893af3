"""``Service`` (one loop: a name, an interval, one pass) and ``ServiceRunner`` (runs services in
background threads, stops them cleanly).

A pass is one database transaction and takes the time from the runner's clock
(``praefect.utilities.clock``), so a test runs passes with ``run_once()`` at any time it likes.
A pass that fails is logged and the loop goes on: a database restart must not stop the
scheduler for good.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import threading
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from praefect import database
from praefect import settings as _settings
from praefect.utilities import clock as _clock

__all__ = ["Service", "ServiceRunner"]

_log = logging.getLogger("praefect.server.services")


def setting_field(name: str) -> Any:
    """A dataclass field defaulting to setting ``name`` as it is when the service is made."""
    return dataclasses.field(
        default_factory=lambda: getattr(_settings.get_current_settings(), name)
    )


class Service(Protocol):
    """One background loop."""

    name: str
    """How logs and ``praefect server services ls`` call it."""
    loop_seconds: float
    """Seconds between the end of one pass and the start of the next."""

    def run_once(self, engine: Engine, now: _dt.datetime) -> Any:
        """One pass at time ``now``; returns what it did (for logs and tests)."""
        ...


class ServiceRunner:
    """Runs ``services`` against the database at ``database_url`` (default: the settings'),
    each in its own daemon thread, from ``start()`` until ``stop()``.

    >>> class Hello:
    ...     name, loop_seconds = "Hello", 60.0
    ...     def run_once(self, engine, now):
    ...         return "hi"
    >>> ServiceRunner([Hello()], database_url="sqlite:///:memory:").run_once()
    {'Hello': 'hi'}
    """

    def __init__(
        self,
        services: Iterable[Service],
        database_url: str | None = None,
        clock: _clock.Clock | None = None,
    ) -> None:
        self.services = list(services)
        self.database_url = database_url
        self.clock = clock
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def engine(self) -> Engine:
        return database.get_engine(self.database_url)

    def now(self) -> _dt.datetime:
        return self.clock.now() if self.clock is not None else _clock.now()

    def run_once(self, name: str | None = None) -> dict[str, Any]:
        """One pass of every service (or of the one called ``name``), in this thread; returns
        each one's result by name. Failures propagate (unlike in the loops)."""
        chosen = [s for s in self.services if name is None or s.name == name]
        if name is not None and not chosen:
            known = ", ".join(s.name for s in self.services) or "none"
            raise ValueError(f"no service called {name!r}; the services are: {known}")
        return {s.name: s.run_once(self.engine, self.now()) for s in chosen}

    def start(self) -> ServiceRunner:
        """Start one thread per service; each runs a pass at once, then every
        ``loop_seconds``."""
        if self._threads:
            raise RuntimeError("the services are already running")
        self._stop.clear()
        for service in self.services:
            thread = threading.Thread(
                target=self._loop, args=(service,), name=f"praefect-{service.name}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        if self.services:
            _log.info("Started services: %s.", ", ".join(s.name for s in self.services))
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every loop to stop and wait (up to ``timeout`` seconds for each) for the passes
        in progress to finish."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
            if thread.is_alive():
                _log.warning("Service thread %s did not stop in time.", thread.name)
        self._threads = []

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def _loop(self, service: Service) -> None:
        while not self._stop.is_set():
            try:
                result = service.run_once(self.engine, self.now())
            except Exception:
                _log.exception("Service %s failed a pass; it will try again.", service.name)
            else:
                _log.debug("Service %s: %r", service.name, result)
            self._stop.wait(service.loop_seconds)

    def __enter__(self) -> ServiceRunner:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
