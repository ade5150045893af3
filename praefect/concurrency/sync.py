"""Concurrency and rate limits in sync code (Prefect's ``prefect.concurrency.sync``).

>>> from praefect.concurrency.sync import concurrency
>>> with concurrency("database", occupy=1):  # doctest: +SKIP
...     run_query()
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from praefect.concurrency import _slots

__all__ = ["concurrency", "rate_limit"]


@contextlib.contextmanager
def concurrency(
    names: str | Sequence[str],
    occupy: int = 1,
    timeout_seconds: float | None = None,
    max_retries: int | None = None,
    lease_duration: float = _slots.DEFAULT_LEASE_SECONDS,
    strict: bool = False,
    holder: Any = None,
    suppress_warnings: bool = False,
    *,
    limit: int | None = None,
) -> Iterator[None]:
    """Hold ``occupy`` slots of each limit in ``names`` for the ``with`` block.

    Waits until every limit has room (``AcquireConcurrencySlotTimeoutError`` after
    ``timeout_seconds``); the slots are held by a lease renewed in the background and given
    back when the block ends, whatever the way. A name with no limit is skipped with one
    warning, or raises ``ConcurrencySlotAcquisitionError`` with ``strict=True``; ``limit``
    (praefect only) creates a missing limit of that size first: ``concurrency(f"user:{uid}",
    limit=3)`` caps each user at 3 without creating their limits beforehand.

    >>> with concurrency("db", occupy=1):  # doctest: +SKIP
    ...     ...
    """
    lease = _slots.acquire(
        names,
        occupy,
        timeout_seconds,
        max_retries,
        strict,
        lease_duration,
        holder=holder,
        limit=limit,
        warn=not suppress_warnings,
    )
    try:
        yield
    finally:
        _slots.release(lease)


def rate_limit(
    names: str | Sequence[str],
    occupy: int = 1,
    timeout_seconds: float | None = None,
    strict: bool = False,
) -> None:
    """Wait until every limit in ``names`` lets ``occupy`` more slots through: the limits'
    ``slot_decay_per_second`` sets the rate (a limit without decay is refused).

    >>> rate_limit("api-calls")  # doctest: +SKIP
    """
    _slots.acquire(names, occupy, timeout_seconds, None, strict, mode="rate_limit")
