"""Prefect's import path ``prefect.client.schemas.filters``: re-exports ``praefect.schemas.filters``."""

from __future__ import annotations

from praefect.schemas import work_pools as _work_pools
from praefect.schemas.filters import *  # noqa: F403
from praefect.schemas.filters import __all__ as _base

# -- work pools, queues, workers
WorkPoolFilter = _work_pools.WorkPoolFilter
WorkPoolFilterId = _work_pools.WorkPoolFilterId
WorkPoolFilterName = _work_pools.WorkPoolFilterName
WorkPoolFilterType = _work_pools.WorkPoolFilterType
WorkQueueFilter = _work_pools.WorkQueueFilter
WorkQueueFilterId = _work_pools.WorkQueueFilterId
WorkQueueFilterName = _work_pools.WorkQueueFilterName
WorkerFilter = _work_pools.WorkerFilter
WorkerFilterLastHeartbeatTime = _work_pools.WorkerFilterLastHeartbeatTime
WorkerFilterStatus = _work_pools.WorkerFilterStatus

__all__ = sorted(
    [
        *_base,
        "WorkPoolFilter",
        "WorkPoolFilterId",
        "WorkPoolFilterName",
        "WorkPoolFilterType",
        "WorkQueueFilter",
        "WorkQueueFilterId",
        "WorkQueueFilterName",
        "WorkerFilter",
        "WorkerFilterLastHeartbeatTime",
        "WorkerFilterStatus",
    ]
)
