"""Locks inside one process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from praefect.locking.protocol import TryingLockManager

__all__ = ["MemoryLockManager"]


class MemoryLockManager(TryingLockManager):
    """Locks shared by every thread of this process. ``MemoryLockManager()`` is one process-wide
    instance (every store that makes one shares its locks); pass ``clock`` for a private instance
    whose expiry follows that clock (tests).

    >>> locks = MemoryLockManager()
    >>> locks.acquire_lock("k", holder="a", hold_timeout=60)
    True
    >>> locks.acquire_lock("k", holder="b", acquire_timeout=0)
    False
    >>> locks.release_lock("k", holder="a"); locks.is_locked("k")
    False
    """

    _shared: MemoryLockManager | None = None
    _shared_guard = threading.Lock()

    def __new__(cls, clock: Callable[[], float] | None = None) -> MemoryLockManager:
        if clock is not None:
            return super().__new__(cls)
        with cls._shared_guard:
            if cls._shared is None:
                cls._shared = super().__new__(cls)
            return cls._shared

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        if getattr(self, "_locks", None) is not None:
            return
        self._clock = clock or time.monotonic
        self._locks: dict[str, tuple[str, float | None]] = {}
        self._changed = threading.Condition()

    def _current(self, key: str) -> tuple[str, float | None] | None:
        lock = self._locks.get(key)
        if lock is not None and lock[1] is not None and lock[1] <= self._clock():
            del self._locks[key]
            return None
        return lock

    def _try_acquire(self, key: str, holder: str, hold_timeout: float | None) -> bool:
        with self._changed:
            lock = self._current(key)
            if lock is not None and lock[0] != holder:
                return False
            expires = None if hold_timeout is None else self._clock() + hold_timeout
            self._locks[key] = (holder, expires)
            return True

    def _wait(self, attempt: Callable[[], bool], timeout: float | None) -> bool:
        # Woken by every release; a lock may also expire, so look again every 50 ms.
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while not attempt():
                wait = 0.05
                if deadline is not None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    wait = min(wait, remaining)
                self._changed.wait(wait)
            return True

    def release_lock(self, key: str, holder: str) -> None:
        with self._changed:
            lock = self._current(key)
            if lock is None or lock[0] != holder:
                raise ValueError(f"No lock held by {holder!r} for key {key!r}.")
            del self._locks[key]
            self._changed.notify_all()

    def is_locked(self, key: str) -> bool:
        with self._changed:
            return self._current(key) is not None

    def is_lock_holder(self, key: str, holder: str) -> bool:
        with self._changed:
            lock = self._current(key)
            return lock is not None and lock[0] == holder

    def __reduce__(self) -> Any:
        # Pickled into another process (process pool), it becomes that process's shared manager.
        return (MemoryLockManager, ())

    def __repr__(self) -> str:
        return "MemoryLockManager()"
