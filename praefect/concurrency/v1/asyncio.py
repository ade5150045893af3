"""Tag limits in async code (Prefect's ``prefect.concurrency.v1.asyncio``)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence

from praefect.concurrency import _slots
from praefect.concurrency.v1.sync import tag_limit_names

__all__ = ["concurrency"]


@contextlib.asynccontextmanager
async def concurrency(
    names: str | Sequence[str],
    task_run_id: uuid.UUID,
    timeout_seconds: float | None = None,
) -> AsyncIterator[None]:
    """Hold a slot of the limit of each tag in ``names`` for the task run ``task_run_id`` (see
    ``praefect.concurrency.v1.sync.concurrency``)."""
    lease = await asyncio.to_thread(
        _slots.acquire,
        tag_limit_names(names),
        1,
        timeout_seconds,
        holder={"type": "task_run", "id": task_run_id},
        warn=False,
    )
    try:
        yield
    finally:
        await asyncio.to_thread(_slots.release, lease)
