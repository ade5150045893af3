"""The lock manager protocol: how transactions and result stores take a record's lock.

A lock is named by a key (the cache or transaction key) and owned by a holder string; a lock
held past its ``hold_timeout`` is stale and may be taken over. Implementations: ``MemoryLockManager``
(one process), ``FileSystemLockManager`` (processes on one host), ``RedisLockManager`` (hosts).

>>> from praefect.locking import LockManager, MemoryLockManager
>>> isinstance(MemoryLockManager(), LockManager)
True
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = ["LockManager", "TryingLockManager", "default_holder", "poll"]


@runtime_checkable
class LockManager(Protocol):
    """What a result store needs from a lock manager."""

    def acquire_lock(
        self,
        key: str,
        holder: str,
        acquire_timeout: float | None = None,
        hold_timeout: float | None = None,
    ) -> bool:
        """Take the lock, waiting up to ``acquire_timeout`` seconds (None: as long as it takes).
        Returns True once held (immediately when ``holder`` already holds it), False on timeout.
        A lock not released within ``hold_timeout`` seconds may be taken by someone else."""
        ...

    def release_lock(self, key: str, holder: str) -> None:
        """Release the lock; raises ``ValueError`` when ``holder`` does not hold it."""
        ...

    def is_locked(self, key: str) -> bool:
        """Whether someone holds a lock on ``key`` that has not expired."""
        ...

    def is_lock_holder(self, key: str, holder: str) -> bool:
        """Whether ``holder`` holds the lock on ``key``."""
        ...

    def wait_for_lock(self, key: str, timeout: float | None = None) -> bool:
        """Wait until ``key`` is not locked; False if still locked after ``timeout`` seconds."""
        ...


class TryingLockManager:
    """The part the lock managers here share: taking a lock is trying until it is free (or
    ``acquire_timeout`` passes), and waiting for one is checking until it is gone. A subclass
    says how to try once (``_try_acquire``) and may wait better than by polling (``_wait``)."""

    def acquire_lock(
        self,
        key: str,
        holder: str,
        acquire_timeout: float | None = None,
        hold_timeout: float | None = None,
    ) -> bool:
        return self._wait(lambda: self._try_acquire(key, holder, hold_timeout), acquire_timeout)

    def wait_for_lock(self, key: str, timeout: float | None = None) -> bool:
        return self._wait(lambda: not self.is_locked(key), timeout)

    def _try_acquire(self, key: str, holder: str, hold_timeout: float | None) -> bool:
        """Take the lock if it is free or ``holder``'s (refreshing its expiry); whether taken."""
        raise NotImplementedError

    def is_locked(self, key: str) -> bool:
        raise NotImplementedError

    def _wait(self, attempt: Callable[[], bool], timeout: float | None) -> bool:
        return poll(attempt, timeout)


def poll(attempt: Callable[[], bool], timeout: float | None) -> bool:
    """Call ``attempt`` until it returns True, pausing between tries (2 ms, doubling up to
    50 ms); False once ``timeout`` seconds have passed (None: no limit).

    >>> poll(lambda: True, timeout=0)
    True
    >>> poll(lambda: False, timeout=0.01)
    False
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    pause = 0.002
    while not attempt():
        if deadline is None:
            time.sleep(pause)
        else:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(pause, remaining))
        pause = min(pause * 2, 0.05)
    return True


def default_holder() -> str:
    """This host, process and thread: the holder used when none is given.

    >>> default_holder().count(":")
    2
    """
    return f"{_HOSTNAME}:{os.getpid()}:{threading.get_ident()}"


_HOSTNAME = socket.gethostname()
