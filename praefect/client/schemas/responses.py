"""Prefect's import path ``prefect.client.schemas.responses``: re-exports ``praefect.schemas.responses``."""

from __future__ import annotations

from praefect.schemas import concurrency as _concurrency
from praefect.schemas import work_pools as _work_pools
from praefect.schemas.responses import *  # noqa: F403
from praefect.schemas.responses import __all__ as _base

# -- work pools, queues, workers
WorkerFlowRunResponse = _work_pools.WorkerFlowRunResponse

# -- concurrency limits
ConcurrencyLimitWithLeaseResponse = _concurrency.ConcurrencyLimitWithLeaseResponse
GlobalConcurrencyLimitResponse = _concurrency.GlobalConcurrencyLimitResponse
MinimalConcurrencyLimitResponse = _concurrency.MinimalConcurrencyLimitResponse

__all__ = sorted(
    [
        *_base,
        "ConcurrencyLimitWithLeaseResponse",
        "GlobalConcurrencyLimitResponse",
        "MinimalConcurrencyLimitResponse",
        "WorkerFlowRunResponse",
    ]
)
