"""An injectable clock: the time the scheduler, the late-runs check and the other server
services go by, so tests move time forward instead of sleeping.

Service-layer functions take ``now`` (default: ``clock.now()``); the services runner reads its
clock once per pass; states and the run engine take their timestamps from ``now()`` and wait
(retry delays) with ``sleep()``. ``ManualClock`` stands still until told to move; a sleep on it
moves it forward at once, so a retry delay of a minute takes no time.

>>> import datetime as dt
>>> clock = ManualClock(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
>>> clock.advance(90).isoformat()
'2030-01-01T00:01:30+00:00'
>>> with use_clock(clock):
...     now().isoformat()
'2030-01-01T00:01:30+00:00'
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import threading
import time
from collections.abc import Iterator
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock", "now", "sleep", "sleep_async", "use_clock"]


class Clock(Protocol):
    """Anything with ``now()``: the current time, timezone-aware in UTC."""

    def now(self) -> _dt.datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> _dt.datetime:
        return _dt.datetime.now(_dt.UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class ManualClock:
    """A clock that moves only when told: ``advance(seconds)`` or ``set(time)``. Thread-safe, so
    a test can move it while a service thread reads it."""

    def __init__(self, start: _dt.datetime | None = None) -> None:
        start = start or _dt.datetime.now(_dt.UTC)
        if start.tzinfo is None:
            raise ValueError(f"ManualClock needs a timezone-aware start time, got {start!r}")
        self._now = start.astimezone(_dt.UTC)
        self._lock = threading.Lock()

    def now(self) -> _dt.datetime:
        with self._lock:
            return self._now

    def advance(self, by: float | _dt.timedelta) -> _dt.datetime:
        """Move forward by ``by`` (seconds or a timedelta); return the new time."""
        step = by if isinstance(by, _dt.timedelta) else _dt.timedelta(seconds=by)
        if step < _dt.timedelta(0):
            raise ValueError(f"a clock only moves forward; got a step of {step}")
        with self._lock:
            self._now += step
            return self._now

    def sleep(self, seconds: float) -> None:
        """Waiting on a stopped clock: move it forward by ``seconds`` and return at once."""
        self.advance(max(0.0, seconds))

    def set(self, when: _dt.datetime) -> None:
        """Jump to ``when`` (timezone-aware)."""
        if when.tzinfo is None:
            raise ValueError(f"ManualClock.set needs a timezone-aware time, got {when!r}")
        with self._lock:
            self._now = when.astimezone(_dt.UTC)


_SYSTEM = SystemClock()
_current: list[Clock] = [_SYSTEM]


def now() -> _dt.datetime:
    """The current time of the clock in force (the real time unless ``use_clock`` says
    otherwise)."""
    return _current[-1].now()


def sleep(seconds: float) -> None:
    """Wait ``seconds`` by the clock in force: a real sleep, or a ``ManualClock`` moved forward
    at once (a clock without ``sleep`` is waited on in real time)."""
    wait = getattr(_current[-1], "sleep", None)
    (wait or time.sleep)(seconds)


async def sleep_async(seconds: float) -> None:
    """``sleep`` for coroutines: awaits the real time, or moves a ``ManualClock`` at once."""
    clock = _current[-1]
    if clock is _SYSTEM or getattr(clock, "sleep", None) is None:
        await asyncio.sleep(seconds)
    else:
        clock.sleep(seconds)  # type: ignore[attr-defined]
        await asyncio.sleep(0)


@contextlib.contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Make ``clock`` the process's clock inside the block (for every thread)."""
    _current.append(clock)
    try:
        yield clock
    finally:
        _current.remove(clock)
