"""Prefect's import path ``prefect.client.schemas.actions`` (create/update payloads).

Filled in as the resources they create arrive (work pools, concurrency limits, ...).
"""

from __future__ import annotations

# -- work pools, queues
from praefect.schemas.work_pools import (
    WorkPoolCreate,
    WorkPoolUpdate,
    WorkQueueCreate,
    WorkQueueUpdate,
)

__all__ = ["WorkPoolCreate", "WorkPoolUpdate", "WorkQueueCreate", "WorkQueueUpdate"]
