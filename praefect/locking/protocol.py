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
from typing import Protocol, runtime_checkable

__all__ = ["LockManager", "default_holder"]


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


def default_holder() -> str:
    """This host, process and thread: the holder used when none is given.

    >>> default_holder().count(":")
    2
    """
    return f"{_HOSTNAME}:{os.getpid()}:{threading.get_ident()}"


_HOSTNAME = socket.gethostname()
