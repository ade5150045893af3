"""Prefect's import path ``prefect.client.schemas.actions`` (create/update payloads).

Filled in as the resources they create arrive (work pools, concurrency limits, ...).
"""

from __future__ import annotations

# -- deployments and their schedules
from praefect.schemas.actions import (
    DeploymentCreate,
    DeploymentFlowRunCreate,
    DeploymentUpdate,
)

# -- artifacts and variables
from praefect.schemas.artifacts import ArtifactCreate, ArtifactUpdate

# -- concurrency limits
from praefect.schemas.concurrency import (
    ConcurrencyLimitCreate,
    ConcurrencyLimitV2Create,
    ConcurrencyLimitV2Update,
    GlobalConcurrencyLimitCreate,
    GlobalConcurrencyLimitUpdate,
)
from praefect.schemas.schedules import DeploymentScheduleCreate, DeploymentScheduleUpdate
from praefect.schemas.variables import VariableCreate, VariableUpdate

# -- work pools, queues
from praefect.schemas.work_pools import (
    WorkPoolCreate,
    WorkPoolUpdate,
    WorkQueueCreate,
    WorkQueueUpdate,
)

__all__ = [
    "ArtifactCreate",
    "ArtifactUpdate",
    "ConcurrencyLimitCreate",
    "ConcurrencyLimitV2Create",
    "ConcurrencyLimitV2Update",
    "DeploymentCreate",
    "DeploymentFlowRunCreate",
    "DeploymentScheduleCreate",
    "DeploymentScheduleUpdate",
    "DeploymentUpdate",
    "GlobalConcurrencyLimitCreate",
    "GlobalConcurrencyLimitUpdate",
    "VariableCreate",
    "VariableUpdate",
    "WorkPoolCreate",
    "WorkPoolUpdate",
    "WorkQueueCreate",
    "WorkQueueUpdate",
]
