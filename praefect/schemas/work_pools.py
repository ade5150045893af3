"""Wire models of work pools, work queues and workers (Prefect 3's names and fields).

Read models (``WorkPool``, ``WorkQueue``, ``Worker``, ``WorkerFlowRunResponse``), request bodies
(``WorkPoolCreate``, ``WorkPoolUpdate``, ``WorkQueueCreate``, ``WorkQueueUpdate``) and filters
(``WorkPoolFilter``, ``WorkQueueFilter``, ``WorkerFilter``), plus the default base job template
of the ``process`` pool type.

>>> WorkPoolCreate(name="local").type
'process'
>>> sorted(default_base_job_template("process")["variables"]["properties"])
['command', 'env', 'labels', 'name', 'stream_output', 'working_dir']
"""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from praefect.schemas.filters import TimeBound, _Combined, _Filter, _Ids, _Names
from praefect.schemas.job_templates import PROCESS_BASE_JOB_TEMPLATE, default_base_job_template
from praefect.schemas.objects import FlowRun

__all__ = [
    "PROCESS_BASE_JOB_TEMPLATE",
    "WorkPool",
    "WorkPoolCreate",
    "WorkPoolFilter",
    "WorkPoolFilterId",
    "WorkPoolFilterName",
    "WorkPoolFilterType",
    "WorkPoolUpdate",
    "WorkQueue",
    "WorkQueueCreate",
    "WorkQueueFilter",
    "WorkQueueFilterId",
    "WorkQueueFilterName",
    "WorkQueueUpdate",
    "Worker",
    "WorkerFilter",
    "WorkerFilterLastHeartbeatTime",
    "WorkerFilterStatus",
    "WorkerFlowRunResponse",
    "default_base_job_template",
]

_BANNED = frozenset("/%&><")


def _name(value: str) -> str:
    banned = sorted(_BANNED.intersection(value))
    if banned:
        raise ValueError(f"name must not contain {' '.join(banned)}")
    return value


_Name = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_name)]
_Limit = Annotated[int, Field(ge=0, le=2**31 - 1)]
_Priority = Annotated[int, Field(ge=1, le=2**31 - 1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Object(_Model):
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    created: _dt.datetime | None = None
    updated: _dt.datetime | None = None


# -- read models ---------------------------------------------------------------------------------
class WorkPool(_Object):
    """A work pool: where deployments' runs wait for workers of its ``type``."""

    name: str
    description: str | None = None
    type: str
    base_job_template: dict[str, Any] = Field(default_factory=dict)
    is_paused: bool = False
    concurrency_limit: int | None = None
    status: str | None = None
    """``READY`` (a worker heartbeats), ``NOT_READY`` or ``PAUSED``."""
    default_queue_id: uuid.UUID | None = None
    storage_configuration: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_push_pool(self) -> bool:
        return False

    @property
    def is_managed_pool(self) -> bool:
        return False


class WorkQueue(_Object):
    """A queue of a work pool; workers take runs from lower ``priority`` numbers first."""

    name: str
    description: str | None = ""
    is_paused: bool = False
    concurrency_limit: int | None = None
    priority: int = 1
    work_pool_id: uuid.UUID | None = None
    work_pool_name: str | None = None
    last_polled: _dt.datetime | None = None
    status: str | None = None
    filter: Any = None


class Worker(_Object):
    """A worker of a pool, known by its heartbeats."""

    name: str
    work_pool_id: uuid.UUID
    last_heartbeat_time: _dt.datetime | None = None
    heartbeat_interval_seconds: float | None = None
    status: str = "ONLINE"


class WorkerFlowRunResponse(_Model):
    """One scheduled run for a worker, with the pool and queue it came from."""

    work_pool_id: uuid.UUID
    work_queue_id: uuid.UUID
    flow_run: FlowRun


# -- request bodies ------------------------------------------------------------------------------
class WorkPoolCreate(_Model):
    """Create a work pool (with a ``default`` queue); an empty ``base_job_template`` gets the
    type's default."""

    name: _Name
    description: str | None = None
    type: Annotated[str, Field(min_length=1, max_length=255)] = "process"
    base_job_template: dict[str, Any] = Field(default_factory=dict)
    is_paused: bool = False
    concurrency_limit: _Limit | None = None
    storage_configuration: dict[str, Any] = Field(default_factory=dict)


class WorkPoolUpdate(_Model):
    """Change a work pool (only the fields sent change)."""

    description: str | None = None
    is_paused: bool | None = None
    base_job_template: dict[str, Any] | None = None
    concurrency_limit: _Limit | None = None
    storage_configuration: dict[str, Any] | None = None


class WorkQueueCreate(_Model):
    """Create a work queue in a pool."""

    name: _Name
    description: str | None = ""
    is_paused: bool = False
    concurrency_limit: _Limit | None = None
    priority: _Priority | None = None
    """Default: after the pool's existing queues."""
    work_pool_name: str | None = None


class WorkQueueUpdate(_Model):
    """Change a work queue (only the fields sent change)."""

    name: _Name | None = None
    description: str | None = None
    is_paused: bool | None = None
    concurrency_limit: _Limit | None = None
    priority: _Priority | None = None


# -- filters -------------------------------------------------------------------------------------
class WorkPoolFilterId(_Ids):
    """Filter work pools by id."""


class WorkPoolFilterName(_Filter):
    """Filter work pools by name."""

    any_: list[str] | None = None


class WorkPoolFilterType(_Filter):
    """Filter work pools by type."""

    any_: list[str] | None = None


class WorkPoolFilter(_Combined):
    """Filter work pools."""

    id: WorkPoolFilterId | None = None
    name: WorkPoolFilterName | None = None
    type: WorkPoolFilterType | None = None


class WorkQueueFilterId(_Ids):
    """Filter work queues by id."""


class WorkQueueFilterName(_Names):
    """Filter work queues by name (``startswith_`` too, as Prefect's)."""

    startswith_: Annotated[list[str], Field(max_length=100)] | None = None


class WorkQueueFilter(_Combined):
    """Filter work queues."""

    id: WorkQueueFilterId | None = None
    name: WorkQueueFilterName | None = None


class WorkerFilterLastHeartbeatTime(_Filter):
    """Filter workers by their last heartbeat."""

    before_: TimeBound | None = None
    after_: TimeBound | None = None


class WorkerFilterStatus(_Filter):
    """Filter workers by status (``ONLINE``, ``OFFLINE``)."""

    any_: list[str] | None = None
    not_any_: list[str] | None = None


class WorkerFilter(_Combined):
    """Filter workers."""

    last_heartbeat_time: WorkerFilterLastHeartbeatTime | None = None
    status: WorkerFilterStatus | None = None
