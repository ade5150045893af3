"""Read models with Prefect's field names: ``Flow``, ``FlowRun``, ``TaskRun``, ``Log``.

They are built from service-layer rows (plain dicts) when a user reads through ``get_client()``;
the engine's hot paths never build them.

>>> run = FlowRun(name="r", flow_id=uuid.uuid4(), total_run_time=1.5)
>>> run.total_run_time
datetime.timedelta(seconds=1, microseconds=500000)
"""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_serializer

from praefect.schemas.schedules import DeploymentSchedule
from praefect.schemas.states import State, StateDetails, StateType, now_utc

__all__ = [
    "BlockDocument",
    "BlockType",
    "BulkDeleteResponse",
    "Deployment",
    "DeploymentSchedule",
    "Flow",
    "FlowRun",
    "FlowRunInput",
    "FlowRunPolicy",
    "Log",
    "PaginationResponse",
    "State",
    "StateDetails",
    "StateType",
    "TaskRun",
    "TaskRunInput",
    "TaskRunPolicy",
    "TaskWorkerResponse",
]


class _Model(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, extra="ignore")


class _Object(_Model):
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    created: _dt.datetime | None = None
    updated: _dt.datetime | None = None


class Flow(_Object):
    """A flow: the named function its runs belong to."""

    name: str
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, Any] = Field(default_factory=dict)


class _RunPolicy(_Model):
    model_config = ConfigDict(extra="allow")

    retries: int | None = None
    pause_keys: list[str] = Field(default_factory=list)
    resuming: bool = False
    retry_type: str | None = None

    @property
    def max_retries(self) -> int:
        return self.retries or 0


def _whole_seconds(value: Any) -> Any:
    # one delay in whole seconds: the first of a list, rounded
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if isinstance(value, float):
        return round(value)
    return value


class FlowRunPolicy(_RunPolicy):
    """How a flow run is retried, as Prefect's ``FlowRunPolicy`` reads it: ``retry_delay`` is
    one delay in whole seconds (the first of the delays a run keeps, rounded).

    >>> FlowRunPolicy.model_validate({"retries": 2, "retry_delay": [1.6, 30.0]}).retry_delay
    2
    """

    retry_delay: Annotated[int | None, BeforeValidator(_whole_seconds)] = None

    @property
    def retry_delay_seconds(self) -> float:
        return float(self.retry_delay or 0)


class TaskRunPolicy(_RunPolicy):
    """How a task run is retried: one delay, or a delay per retry."""

    retry_delay: float | list[float] | None = None
    retry_jitter_factor: float | None = None

    @property
    def retry_delay_seconds(self) -> float | list[float] | None:
        return self.retry_delay


class TaskRunInput(_Model):
    """One upstream input of a task run (``input_type`` is ``task_run``, ``parameter``, ...)."""

    model_config = ConfigDict(extra="allow")

    input_type: str = "task_run"
    id: uuid.UUID | None = None


def _no_labels(value: Any) -> Any:
    return {} if value is None else value


class _Run(_Object):
    name: str
    state_id: uuid.UUID | None = None
    state_type: StateType | None = None
    state_name: str | None = None
    state: State | None = None
    tags: list[str] = Field(default_factory=list)
    labels: Annotated[dict[str, Any], BeforeValidator(_no_labels)] = Field(default_factory=dict)
    run_count: int = 0
    expected_start_time: _dt.datetime | None = None
    next_scheduled_start_time: _dt.datetime | None = None
    start_time: _dt.datetime | None = None
    end_time: _dt.datetime | None = None
    total_run_time: _dt.timedelta = _dt.timedelta(0)
    estimated_run_time: _dt.timedelta = _dt.timedelta(0)
    estimated_start_time_delta: _dt.timedelta = _dt.timedelta(0)

    @field_serializer(
        "total_run_time", "estimated_run_time", "estimated_start_time_delta", when_used="json"
    )
    def _seconds(self, value: _dt.timedelta) -> float:
        # Prefect's API sends durations as seconds (a float), not ISO 8601 durations.
        return value.total_seconds()

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Any:
        """Build the model from a service-layer row, deriving the ``estimated_*`` fields."""
        values = dict(row)
        now = now_utc()
        total = _dt.timedelta(seconds=values.get("total_run_time") or 0.0)
        if values.get("state_type") == "RUNNING" and values.get("state_timestamp"):
            total += now - values["state_timestamp"]
        values["estimated_run_time"] = total
        expected = values.get("expected_start_time")
        if expected is not None:
            start = values.get("start_time")
            if start is not None:
                values["estimated_start_time_delta"] = max(start - expected, _dt.timedelta(0))
            elif values.get("state_type") in ("SCHEDULED", "PENDING"):
                values["estimated_start_time_delta"] = max(now - expected, _dt.timedelta(0))
        return cls.model_validate(values)


class FlowRun(_Run):
    """A run of a flow."""

    flow_id: uuid.UUID
    flow_version: str | None = None
    deployment_id: uuid.UUID | None = None
    deployment_version: str | None = None
    work_queue_name: str | None = None
    work_queue_id: uuid.UUID | None = None
    work_pool_id: uuid.UUID | None = None
    work_pool_name: str | None = None
    idempotency_key: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    job_variables: dict[str, Any] | None = None
    empirical_policy: FlowRunPolicy = Field(default_factory=FlowRunPolicy)
    parent_task_run_id: uuid.UUID | None = None
    infrastructure_pid: str | None = None
    auto_scheduled: bool = False
    entrypoint: str | None = None
    hostname: str | None = None
    pid: int | None = None
    heartbeat: _dt.datetime | None = None
    created_by: dict[str, Any] | None = None


class FlowRunInput(_Object):
    """An input saved for a flow run: ``value`` is JSON text."""

    flow_run_id: uuid.UUID
    key: str
    value: str
    sender: str | None = None

    @property
    def decoded_value(self) -> Any:
        """The value, decoded from JSON."""
        import json

        return json.loads(self.value)


class TaskRun(_Run):
    """A run of a task."""

    flow_run_id: uuid.UUID | None = None
    task_key: str
    dynamic_key: str
    cache_key: str | None = None
    cache_expiration: _dt.datetime | None = None
    task_version: str | None = None
    empirical_policy: TaskRunPolicy = Field(default_factory=TaskRunPolicy)
    task_inputs: dict[str, list[TaskRunInput]] = Field(default_factory=dict)
    flow_run_run_count: int = 0


class Log(_Model):
    """One stored log line of a run."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    created: _dt.datetime | None = None
    name: str
    level: int
    message: str
    timestamp: _dt.datetime
    flow_run_id: uuid.UUID | None = None
    task_run_id: uuid.UUID | None = None


class BlockType(_Object):
    """A kind of block (Prefect's ``BlockType``): one per block class slug."""

    name: str
    slug: str
    logo_url: str | None = None
    documentation_url: str | None = None
    description: str | None = None
    code_example: str | None = None
    is_protected: bool = False


class BlockDocument(_Object):
    """A saved block (Prefect's ``BlockDocument``): its name, block type and fields (``data``,
    secrets included as stored)."""

    name: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    block_schema_id: uuid.UUID | None = None
    block_schema: Any = None
    block_type_id: uuid.UUID | None = None
    block_type_name: str | None = None
    block_type: BlockType | None = None
    block_document_references: dict[str, Any] = Field(default_factory=dict)
    is_anonymous: bool = False


# -- deployments -------------------------------------------------------------------------------
class Deployment(_Object):
    """A flow's deployment: where its code is, what its runs get by default, where they run.

    >>> Deployment(name="nightly", flow_id=uuid.uuid4()).paused
    False
    """

    name: str
    flow_id: uuid.UUID
    version: str | None = None
    description: str | None = None
    paused: bool = False
    schedules: list[DeploymentSchedule] = Field(default_factory=list)
    concurrency_limit: int | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(default_factory=dict)
    pull_steps: list[dict[str, Any]] | None = None
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, Any] = Field(default_factory=dict)
    work_queue_name: str | None = None
    work_queue_id: uuid.UUID | None = None
    work_pool_name: str | None = None
    last_polled: _dt.datetime | None = None
    parameter_openapi_schema: dict[str, Any] | None = None
    enforce_parameter_schema: bool = True
    path: str | None = None
    entrypoint: str | None = None
    storage_document_id: uuid.UUID | None = None
    infrastructure_document_id: uuid.UUID | None = None
    created_by: dict[str, Any] | None = None
    updated_by: dict[str, Any] | None = None
    status: str | None = None


class TaskWorkerResponse(_Model):
    """A task worker as ``POST /api/task_workers/filter`` answers (Prefect's fields, then
    praefect's: where it runs and how many runs it holds)."""

    identifier: str
    task_keys: list[str]
    timestamp: _dt.datetime
    hostname: str | None = None
    pid: int | None = None
    running: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TaskWorkerResponse:
        return cls(**row)


T = TypeVar("T")


class PaginationResponse(BaseModel, Generic[T]):
    """One page of a list (Prefect's ``FlowPaginationResponse``, ``FlowRunPaginationResponse``,
    ...): the page's ``results``, how many match in all, the page size and number, and how many
    pages there are."""

    results: list[T]
    count: int
    limit: int
    pages: int
    page: int


class BulkDeleteResponse(BaseModel):
    """What a ``POST .../bulk_delete`` deleted (Prefect's ``FlowRunBulkDeleteResponse``, ...)."""

    deleted: list[uuid.UUID] = Field(default_factory=list)
