"""Prefect's import path ``prefect.client.schemas.filters``: re-exports ``praefect.schemas.filters``."""

from __future__ import annotations

from praefect.schemas import artifacts as _artifacts
from praefect.schemas import variables as _variables
from praefect.schemas import work_pools as _work_pools
from praefect.schemas.filters import *  # noqa: F403
from praefect.schemas.filters import __all__ as _base

# -- artifacts and variables
ArtifactCollectionFilter = _artifacts.ArtifactCollectionFilter
ArtifactCollectionFilterFlowRunId = _artifacts.ArtifactCollectionFilterFlowRunId
ArtifactCollectionFilterKey = _artifacts.ArtifactCollectionFilterKey
ArtifactCollectionFilterLatestId = _artifacts.ArtifactCollectionFilterLatestId
ArtifactCollectionFilterTaskRunId = _artifacts.ArtifactCollectionFilterTaskRunId
ArtifactCollectionFilterType = _artifacts.ArtifactCollectionFilterType
ArtifactFilter = _artifacts.ArtifactFilter
ArtifactFilterFlowRunId = _artifacts.ArtifactFilterFlowRunId
ArtifactFilterId = _artifacts.ArtifactFilterId
ArtifactFilterKey = _artifacts.ArtifactFilterKey
ArtifactFilterTaskRunId = _artifacts.ArtifactFilterTaskRunId
ArtifactFilterType = _artifacts.ArtifactFilterType
VariableFilter = _variables.VariableFilter
VariableFilterId = _variables.VariableFilterId
VariableFilterName = _variables.VariableFilterName
VariableFilterTags = _variables.VariableFilterTags

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
        "ArtifactCollectionFilter",
        "ArtifactCollectionFilterFlowRunId",
        "ArtifactCollectionFilterKey",
        "ArtifactCollectionFilterLatestId",
        "ArtifactCollectionFilterTaskRunId",
        "ArtifactCollectionFilterType",
        "ArtifactFilter",
        "ArtifactFilterFlowRunId",
        "ArtifactFilterId",
        "ArtifactFilterKey",
        "ArtifactFilterTaskRunId",
        "ArtifactFilterType",
        "VariableFilter",
        "VariableFilterId",
        "VariableFilterName",
        "VariableFilterTags",
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
