"""Fast random (version 4) UUIDs: the engine makes several per task run, and
``uuid.uuid4()`` costs more than the rest of a state change."""

from __future__ import annotations

import os
import threading
import uuid

_UUID_NEW = uuid.UUID.__new__
_SET = object.__setattr__
_VERSION_MASK = ~(0xF000 << 64) & ~(0xC000 << 48)
_VERSION_BITS = (4 << 76) | (0x8000 << 48)
_SAFE = uuid.SafeUUID.unknown
_local = threading.local()
_BATCH = 256


def uuid4() -> uuid.UUID:
    """A random version-4 UUID (same distribution as ``uuid.uuid4()``, from ``os.urandom``)."""
    pool = getattr(_local, "pool", None)
    if not pool:
        raw = os.urandom(16 * _BATCH)
        pool = [int.from_bytes(raw[i : i + 16]) for i in range(0, 16 * _BATCH, 16)]
        _local.pool = pool
    value = (pool.pop() & _VERSION_MASK) | _VERSION_BITS
    u = _UUID_NEW(uuid.UUID)
    _SET(u, "int", value)
    _SET(u, "is_safe", _SAFE)
    return u
