"""Prefect's import path ``prefect.client.schemas.objects``: re-exports ``praefect.schemas.objects``."""

from __future__ import annotations

from praefect.schemas import artifacts as _artifacts
from praefect.schemas import concurrency as _concurrency
from praefect.schemas import variables as _variables
from praefect.schemas import work_pools as _work_pools
from praefect.schemas.objects import *  # noqa: F403
from praefect.schemas.objects import __all__ as _base

# -- artifacts and variables
Artifact = _artifacts.Artifact
ArtifactCollection = _artifacts.ArtifactCollection
Variable = _variables.Variable

# -- work pools, queues, workers
WorkPool = _work_pools.WorkPool
WorkQueue = _work_pools.WorkQueue
Worker = _work_pools.Worker

# -- concurrency limits
ConcurrencyLeaseHolder = _concurrency.ConcurrencyLeaseHolder
ConcurrencyLimit = _concurrency.ConcurrencyLimit
GlobalConcurrencyLimit = _concurrency.GlobalConcurrencyLimit

__all__ = sorted(
    [
        *_base,
        "Artifact",
        "ArtifactCollection",
        "ConcurrencyLeaseHolder",
        "ConcurrencyLimit",
        "GlobalConcurrencyLimit",
        "Variable",
        "WorkPool",
        "WorkQueue",
        "Worker",
    ]
)
