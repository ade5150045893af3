"""Read queries, one per filter family: Prefect 3's request bodies of ``/filter`` and ``/count``.

A query names which records (the ``...Criteria``, the body of ``/count``) and, for a read, their
order and page (the ``...Query``, the body of ``/filter``). It is defined once: the route takes it
as its body, the service layer (``praefect.orchestration``) takes it, both doors of the SDK pass
it on; only the user-facing ``PrefectClient`` builds it from Prefect's keyword arguments.

``limit`` None means the default: the API's page (200, at most 1,000 a request), and every
match when the service layer is called in-process.

>>> from praefect.schemas import filters
>>> query = FlowRunQuery(flow_runs={"state": {"type": {"any_": ["FAILED"]}}}, limit=5)
>>> query.flow_runs.state.type.any_, query.sort.value
([<StateType.FAILED: 'FAILED'>], 'CREATED_DESC')
>>> FlowRunQuery.model_validate({"limit": None, "work_pool_queues": None}).limit is None
True
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from praefect.schemas import sorting
from praefect.schemas.filters import (
    BlockDocumentFilter,
    BlockSchemaFilter,
    BlockTypeFilter,
    DeploymentFilter,
    FlowFilter,
    FlowRunFilter,
    LogFilter,
    TaskRunFilter,
)
from praefect.schemas.work_pools import WorkerFilter, WorkPoolFilter, WorkQueueFilter

__all__ = [
    "BULK_LIMIT",
    "BlockDocumentCriteria",
    "BlockDocumentQuery",
    "BlockTypeQuery",
    "DeploymentBulkDelete",
    "DeploymentCriteria",
    "DeploymentPage",
    "DeploymentQuery",
    "FlowBulkDelete",
    "FlowCriteria",
    "FlowPage",
    "FlowQuery",
    "FlowRunBulkDelete",
    "FlowRunCriteria",
    "FlowRunInputQuery",
    "FlowRunPage",
    "FlowRunQuery",
    "LogQuery",
    "TaskRunCriteria",
    "TaskRunPage",
    "TaskRunQuery",
    "WorkPoolQuery",
    "WorkQueueQuery",
    "WorkerQuery",
]

_NULL_DEFAULTS = ("sort", "offset", "page")
"""Fields whose null on the wire means their default."""

Limit = Annotated[int | None, Field(ge=0, description="At most this many rows.")]
Offset = Annotated[int, Field(ge=0, le=2**31 - 1, description="Skip this many rows first.")]


class _Query(BaseModel):
    # Every field of Prefect's bodies is declared (and honoured); a field Prefect does not
    # send either is ignored, as Prefect's server ignores it.
    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _null_is_the_default(cls, data: Any) -> Any:
        # Prefect's clients send "sort": null (and may send "offset": null) for "not given"
        if isinstance(data, dict) and any(data.get(name, 0) is None for name in _NULL_DEFAULTS):
            return {k: v for k, v in data.items() if not (k in _NULL_DEFAULTS and v is None)}
        return data

    @classmethod
    def of(cls, **fields: Any) -> Self:
        """The query of the ``fields`` given, a None value meaning the field's default (how
        Prefect's keyword arguments say "not given").

        >>> FlowRunQuery.of(sort=None, limit=3).sort.value
        'CREATED_DESC'
        """
        return cls(**{name: value for name, value in fields.items() if value is not None})


# -- flows ---------------------------------------------------------------------------------------
class FlowCriteria(_Query):
    """Which flows: those matching ``flows`` with a run matching ``flow_runs`` and
    ``task_runs`` and a deployment matching ``deployments`` in a pool matching ``work_pools``
    (the body of ``POST /flows/count``)."""

    flows: FlowFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    deployments: DeploymentFilter | None = None
    work_pools: WorkPoolFilter | None = None


class FlowQuery(FlowCriteria):
    """A page of flows (the body of ``POST /flows/filter``); by name unless ``sort``."""

    sort: sorting.FlowSort | None = None
    limit: Limit = None
    offset: Offset = 0


# -- flow runs -----------------------------------------------------------------------------------
class FlowRunCriteria(_Query):
    """Which flow runs (the body of ``POST /flow_runs/count``): ``work_pools`` and
    ``work_pool_queues`` match the queue a run was sent to."""

    flows: FlowFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    deployments: DeploymentFilter | None = None
    work_pools: WorkPoolFilter | None = None
    work_pool_queues: WorkQueueFilter | None = None


class FlowRunQuery(FlowRunCriteria):
    """A page of flow runs (the body of ``POST /flow_runs/filter``), newest first unless
    ``sort``."""

    sort: sorting.FlowRunSort = sorting.FlowRunSort.CREATED_DESC
    limit: Limit = None
    offset: Offset = 0


# -- task runs -----------------------------------------------------------------------------------
class TaskRunCriteria(_Query):
    """Which task runs (the body of ``POST /task_runs/count``)."""

    flows: FlowFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    deployments: DeploymentFilter | None = None


class TaskRunQuery(TaskRunCriteria):
    """A page of task runs (the body of ``POST /task_runs/filter``), newest first unless
    ``sort``."""

    sort: sorting.TaskRunSort = sorting.TaskRunSort.CREATED_DESC
    limit: Limit = None
    offset: Offset = 0


# -- logs ----------------------------------------------------------------------------------------
class LogQuery(_Query):
    """A page of log lines (the body of ``POST /logs/filter``), oldest first unless ``sort``."""

    logs: LogFilter | None = None
    sort: sorting.LogSort = sorting.LogSort.TIMESTAMP_ASC
    limit: Limit = None
    offset: Offset = 0


# -- deployments ---------------------------------------------------------------------------------
class DeploymentCriteria(_Query):
    """Which deployments (the body of ``POST /deployments/count``): a deployment matches a run
    filter when one of its runs does."""

    flows: FlowFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    deployments: DeploymentFilter | None = None
    work_pools: WorkPoolFilter | None = None
    work_pool_queues: WorkQueueFilter | None = None


class DeploymentQuery(DeploymentCriteria):
    """A page of deployments (the body of ``POST /deployments/filter``), by name unless
    ``sort``."""

    sort: sorting.DeploymentSort = sorting.DeploymentSort.NAME_ASC
    limit: Limit = None
    offset: Offset = 0


# -- work pools, queues, workers -----------------------------------------------------------------
class WorkPoolQuery(_Query):
    """A page of work pools (the body of ``POST /work_pools/filter``), by name."""

    work_pools: WorkPoolFilter | None = None
    limit: Limit = None
    offset: Offset = 0


class WorkQueueQuery(_Query):
    """A page of a pool's work queues (``POST /work_pools/{name}/queues/filter``), by
    priority."""

    work_queues: WorkQueueFilter | None = None
    limit: Limit = None
    offset: Offset = 0


class WorkerQuery(_Query):
    """A page of a pool's workers (``POST /work_pools/{name}/workers/filter``), newest
    heartbeat first."""

    workers: WorkerFilter | None = None
    limit: Limit = None
    offset: Offset = 0


# -- flow run inputs ------------------------------------------------------------------------------
class FlowRunInputQuery(_Query):
    """A flow run's inputs by key prefix (the body of ``POST /flow_runs/{id}/input/filter``),
    oldest first."""

    prefix: str
    limit: Annotated[int, Field(ge=0, le=200)] = 1
    exclude_keys: list[str] = Field(default_factory=list)


# -- blocks --------------------------------------------------------------------------------------
class BlockTypeQuery(_Query):
    """A page of block types (the body of ``POST /block_types/filter``), by name."""

    block_types: BlockTypeFilter | None = None
    block_schemas: BlockSchemaFilter | None = None
    limit: Limit = None
    offset: Offset = 0


class BlockDocumentCriteria(_Query):
    """Which block documents (the body of ``POST /block_documents/count``); anonymous ones
    only when ``block_documents.is_anonymous`` asks for them."""

    block_documents: BlockDocumentFilter | None = None
    block_types: BlockTypeFilter | None = None
    block_schemas: BlockSchemaFilter | None = None


class BlockDocumentQuery(BlockDocumentCriteria):
    """A page of block documents (the body of ``POST /block_documents/filter``), by block type
    then name unless ``sort``."""

    include_secrets: bool = False
    sort: sorting.BlockDocumentSort = sorting.BlockDocumentSort.BLOCK_TYPE_AND_NAME_ASC
    limit: Limit = None
    offset: Offset = 0


# -- pages of a list: POST .../paginate ----------------------------------------------------------
Page = Annotated[int, Field(ge=1, le=2**31 - 1, description="Which page, from 1.")]


class FlowPage(FlowQuery):
    """Page ``page`` of ``limit`` flows (the body of ``POST /flows/paginate``)."""

    page: Page = 1


class FlowRunPage(FlowRunQuery):
    """Page ``page`` of ``limit`` flow runs (the body of ``POST /flow_runs/paginate``)."""

    page: Page = 1


class TaskRunPage(TaskRunQuery):
    """Page ``page`` of ``limit`` task runs (the body of ``POST /task_runs/paginate``)."""

    page: Page = 1


class DeploymentPage(DeploymentQuery):
    """Page ``page`` of ``limit`` deployments (the body of ``POST /deployments/paginate``)."""

    page: Page = 1


# -- many records at once: POST .../bulk_delete, POST /flow_runs/bulk_set_state -----------------
BULK_LIMIT = 50
"""The most records one bulk request changes (Prefect's ``BULK_OPERATION_LIMIT``)."""
BulkLimit = Annotated[
    int, Field(ge=1, le=BULK_LIMIT, description="At most this many records (1 to 50).")
]


class FlowBulkDelete(_Query):
    """The flows ``POST /flows/bulk_delete`` deletes (with their runs): at most ``limit``."""

    flows: FlowFilter | None = None
    limit: BulkLimit = BULK_LIMIT


class FlowRunBulkDelete(_Query):
    """The flow runs ``POST /flow_runs/bulk_delete`` deletes: at most ``limit``."""

    flow_runs: FlowRunFilter | None = None
    limit: BulkLimit = BULK_LIMIT


class DeploymentBulkDelete(_Query):
    """The deployments ``POST /deployments/bulk_delete`` deletes: at most ``limit``."""

    deployments: DeploymentFilter | None = None
    limit: BulkLimit = BULK_LIMIT
