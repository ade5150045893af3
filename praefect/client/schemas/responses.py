"""Prefect's import path ``prefect.client.schemas.responses``: re-exports ``praefect.schemas.responses``."""

from __future__ import annotations

from praefect.schemas import work_pools as _work_pools
from praefect.schemas.responses import *  # noqa: F403
from praefect.schemas.responses import __all__ as _base

# -- work pools, queues, workers
WorkerFlowRunResponse = _work_pools.WorkerFlowRunResponse

__all__ = sorted([*_base, "WorkerFlowRunResponse"])
