"""``Wakeup``: a stop request that a signal handler may make safely.

A Python signal handler runs on the main thread, between two bytecodes of whatever that thread
was doing. If it was inside ``threading.Event.wait()`` it may hold the Event's lock, and a handler
calling ``Event.set()`` then waits for that lock forever: the process hangs on SIGTERM. So a
handler only sets a plain attribute and writes a byte to a socket pair (neither takes a lock);
the loop waits on the other end of the pair with ``select``, which a signal interrupts and the
byte then wakes.

>>> wakeup = Wakeup()
>>> wakeup.wait(0.01)
False
>>> wakeup.set()
>>> wakeup.wait(10.0)
True
>>> wakeup.close()
"""

from __future__ import annotations

import select
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = ["Wakeup", "stopped_by_signals"]


class Wakeup:
    """Like a ``threading.Event`` that is only ever set, cleared and waited on, but whose
    ``set()`` is safe in a signal handler (and from any thread)."""

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._set = False

    def set(self) -> None:
        """Ask the waiter to wake up (signal-safe: no lock, no logging)."""
        self._set = True
        try:
            self._writer.send(b"\0")
        except OSError:
            pass  # the pair's buffer is full (a wake-up is pending anyway) or it was closed

    def is_set(self) -> bool:
        return self._set

    def clear(self) -> None:
        """Forget earlier requests (drains the pending wake-ups)."""
        self._set = False
        try:
            while self._reader.recv(4096):
                pass
        except OSError:
            pass

    def wait(self, timeout: float | None = None) -> bool:
        """Block until ``set()`` or ``timeout`` seconds; return whether it was set."""
        if self._set:
            return True
        try:
            select.select([self._reader], [], [], timeout)
        except (OSError, ValueError):
            pass  # closed meanwhile
        return self._set

    def close(self) -> None:
        self._reader.close()
        self._writer.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


@contextmanager
def stopped_by_signals(
    stop: Callable[[], Any], signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)
) -> Iterator[list[int]]:
    """Call ``stop`` (which must be signal-safe, e.g. ``Wakeup.set``) on each of ``signals``
    while the block runs; the previous handlers are put back after it. Yields the list the
    received signal numbers are appended to, for logging once the loop has ended (a handler
    must not log: logging takes locks). Outside the main thread no handler can be set: the
    block just runs."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        stop()

    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
