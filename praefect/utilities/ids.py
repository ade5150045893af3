"""Fast, time-ordered ids for runs and states.

The engine makes several ids per task run, and ``uuid.uuid4()`` costs more than the rest of a
state change. These are version-7 UUIDs (RFC 9562): 48 bits of Unix milliseconds, then random
bits. Being time-ordered, they insert at the end of the database's primary-key B-trees instead
of at random places, which makes batched writes of states and events several times cheaper.
"""

from __future__ import annotations

import os
import re
import threading
import time
import uuid

__all__ = ["is_canonical", "uuid7"]

_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_UUID_NEW = uuid.UUID.__new__
_SET = object.__setattr__
_SAFE = uuid.SafeUUID.unknown
_RAND_MASK = (1 << 74) - 1
_local = threading.local()
_BATCH = 256


def _reset_after_fork() -> None:
    # a forked child must not hand out the parent's pre-drawn random bits
    global _local
    _local = threading.local()


os.register_at_fork(after_in_child=_reset_after_fork)


def uuid7() -> uuid.UUID:
    """A version-7 UUID: time-ordered to the millisecond, 74 random bits after that."""
    local = _local
    pool = getattr(local, "pool", None)
    if not pool:
        raw = os.urandom(10 * _BATCH)
        pool = [int.from_bytes(raw[i : i + 10]) for i in range(0, 10 * _BATCH, 10)]
        local.pool = pool
    rand = pool.pop() & _RAND_MASK
    ms = time.time_ns() // 1_000_000
    # layout: ms(48) | ver(4)=7 | rand_a(12) | var(2)=0b10 | rand_b(62)
    value = (
        (ms << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62) | (rand & ((1 << 62) - 1))
    )
    u = _UUID_NEW(uuid.UUID)
    _SET(u, "int", value)
    _SET(u, "is_safe", _SAFE)
    return u


def is_canonical(text: str) -> bool:
    """Whether ``text`` is a UUID in the form ``str(uuid.UUID(text))`` gives, so that parsing
    and printing it again would change nothing.

    >>> is_canonical("01234567-89ab-cdef-0123-456789abcdef"), is_canonical("0123456789ABCDEF0123456789ABCDEF")
    (True, False)
    """
    return _CANONICAL.fullmatch(text) is not None
