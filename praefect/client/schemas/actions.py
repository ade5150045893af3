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

# -- concurrency limits
from praefect.schemas.concurrency import (
    ConcurrencyLimitCreate,
    ConcurrencyLimitV2Create,
    ConcurrencyLimitV2Update,
    GlobalConcurrencyLimitCreate,
    GlobalConcurrencyLimitUpdate,
)
from praefect.schemas.schedules import DeploymentScheduleCreate, DeploymentScheduleUpdate

# -- work pools, queues
from praefect.schemas.work_pools import (
    WorkPoolCreate,
    WorkPoolUpdate,
    WorkQueueCreate,
    WorkQueueUpdate,
)

__all__ = [
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
    "WorkPoolCreate",
    "WorkPoolUpdate",
    "WorkQueueCreate",
    "WorkQueueUpdate",
]
