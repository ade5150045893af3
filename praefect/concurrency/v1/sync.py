"""Tag limits in sync code (Prefect's ``prefect.concurrency.v1.sync``).

>>> from praefect.concurrency.v1.sync import concurrency
>>> with concurrency(["db"], task_run_id):  # doctest: +SKIP
...     ...
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence

from praefect.concurrency import _slots

__all__ = ["concurrency"]

TASK_LEASE_SECONDS = 60.0
"""The lease of a task run's tag slots: renewed while it runs, so a task run whose process is
killed gives its slots back within this long."""


def tag_limit_names(tags: str | Sequence[str]) -> list[str]:
    """The global limits of ``tags`` (``tag:<tag>``).

    >>> tag_limit_names(["db", "api"])
    ['tag:db', 'tag:api']
    """
    return [f"tag:{tag}" for tag in _slots.names_of(tags)]


@contextlib.contextmanager
def concurrency(
    names: str | Sequence[str],
    task_run_id: uuid.UUID,
    timeout_seconds: float | None = None,
) -> Iterator[None]:
    """Hold a slot of the limit of each tag in ``names`` for the task run ``task_run_id``
    (tags without a limit are skipped); ``AcquireConcurrencySlotTimeoutError`` after
    ``timeout_seconds``."""
    lease = _slots.acquire(
        tag_limit_names(names),
        1,
        timeout_seconds,
        holder={"type": "task_run", "id": task_run_id},
        warn=False,
    )
    try:
        yield
    finally:
        _slots.release(lease)
