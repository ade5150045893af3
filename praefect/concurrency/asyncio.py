"""Concurrency and rate limits in async code (Prefect's ``prefect.concurrency.asyncio``): the
same as ``praefect.concurrency.sync``, awaited (the waiting happens in a worker thread, so the
event loop runs on).

>>> from praefect.concurrency.asyncio import concurrency
>>> async def work():
...     async with concurrency("database", occupy=1):  # doctest: +SKIP
...         await run_query()
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

from praefect.concurrency import _slots

__all__ = ["concurrency", "rate_limit"]


@contextlib.asynccontextmanager
async def concurrency(
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
) -> AsyncIterator[None]:
    """Hold ``occupy`` slots of each limit in ``names`` for the ``async with`` block (see
    ``praefect.concurrency.sync.concurrency``)."""
    lease = await asyncio.to_thread(
        _slots.acquire,
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
        await asyncio.to_thread(_slots.release, lease)


async def rate_limit(
    names: str | Sequence[str],
    occupy: int = 1,
    timeout_seconds: float | None = None,
    strict: bool = False,
) -> None:
    """Wait until every limit in ``names`` lets ``occupy`` more slots through (see
    ``praefect.concurrency.sync.rate_limit``)."""
    await asyncio.to_thread(
        _slots.acquire, names, occupy, timeout_seconds, None, strict, mode="rate_limit"
    )
