"""Wake the waiters of this process when concurrency slots may have come free.

A waiter notes ``generation()`` before it asks for slots; refused, it calls ``wait(since,
timeout)``, which returns at once if slots were given back in this process since (a lease
released, a limit raised or reset through either door), else at the first such event or after
``timeout`` seconds (its poll for other processes' releases).

>>> since = generation()
>>> notify()
>>> wait(since, 10.0)  # returns at once: something was freed since
True
"""

from __future__ import annotations

import threading

__all__ = ["generation", "notify", "wait"]

_changed = threading.Condition()
_generation = 0


def generation() -> int:
    """A counter of the slot releases of this process so far."""
    return _generation


def notify() -> None:
    """Slots may have come free: wake every waiter of this process."""
    global _generation
    with _changed:
        _generation += 1
        _changed.notify_all()


def wait(since: int, timeout: float) -> bool:
    """Wait until a release after ``since`` (True) or for ``timeout`` seconds (False)."""
    with _changed:
        return _changed.wait_for(lambda: _generation != since, timeout)
