"""Lock managers for SERIALIZABLE transactions and cached results.

>>> from praefect.locking import MemoryLockManager
>>> locks = MemoryLockManager()
>>> locks.acquire_lock("key", holder="me"), locks.is_lock_holder("key", "me")
(True, True)
>>> locks.release_lock("key", holder="me")

``RedisLockManager`` (``praefect.locking.redis``) needs the ``[redis]`` extra and is imported on
first use.
"""

from __future__ import annotations

from typing import Any

from praefect.locking.filesystem import FileSystemLockManager
from praefect.locking.memory import MemoryLockManager
from praefect.locking.protocol import LockManager, default_holder

__all__ = [
    "FileSystemLockManager",
    "LockManager",
    "MemoryLockManager",
    "RedisLockManager",
    "default_holder",
]


def __getattr__(name: str) -> Any:
    if name == "RedisLockManager":
        from praefect.locking.redis import RedisLockManager

        return RedisLockManager
    raise AttributeError(f"module 'praefect.locking' has no attribute {name!r}")
