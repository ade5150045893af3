"""Request bodies of the REST API, with Prefect's names (``FlowCreate``, ``FlowRunCreate``, ...).

They validate what a client sends before the service layer sees it: ids are UUIDs, times are
ISO 8601 (a time without a zone counts as UTC), numbers are bounded, so bad input is answered
with 422 naming the field, never with a server error.

>>> body = FlowRunCreate.model_validate({"flow_id": str(uuid.UUID(int=1)), "tags": ["a"]})
>>> body.state is None, body.tags
(True, ['a'])
>>> StateCreate(type="SCHEDULED").to_state().name
'Scheduled'
"""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Annotated, Any, Required

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from typing_extensions import TypedDict

from praefect.schemas.filters import FlowRunFilter
from praefect.schemas.schedules import DeploymentScheduleCreate
from praefect.schemas.states import State, StateType

__all__ = [
    "DeploymentCreate",
    "DeploymentFlowRunCreate",
    "DeploymentUpdate",
    "FlowCreate",
    "FlowRunBulkSetState",
    "FlowRunCreate",
    "FlowRunInputCreate",
    "FlowRunResume",
    "FlowRunUpdate",
    "FlowUpdate",
    "LogCreate",
    "LogWireItem",
    "RunPolicy",
    "StateCreate",
    "StateDetailsCreate",
    "TaskRunBatchItem",
    "TaskRunBatchWireItem",
    "TaskRunClaim",
    "TaskRunCreate",
    "TaskRunInputCreate",
    "TaskRunRow",
    "TaskRunUpdate",
    "TaskWorkerHeartbeat",
    "UtcDatetime",
]

_MIN_TIME = _dt.datetime(1000, 1, 1, tzinfo=_dt.UTC)
_MAX_TIME = _dt.datetime(9000, 1, 1, tzinfo=_dt.UTC)
_BANNED_NAME_CHARACTERS = frozenset("/%&><")
_MAX_INT = 2**31 - 1
_MAX_DELAY = 10**8  # seconds (about three years): beyond it a retry delay is a typo


def _utc(value: _dt.datetime) -> _dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    try:
        value = value.astimezone(_dt.UTC)
    except OverflowError:
        raise ValueError("time is out of range") from None
    if not _MIN_TIME <= value < _MAX_TIME:
        raise ValueError("time must be between the years 1000 and 9000")
    return value


UtcDatetime = Annotated[_dt.datetime, AfterValidator(_utc)]
"""An ISO 8601 time, made timezone-aware in UTC (no zone given: UTC)."""


def _name(value: str) -> str:
    banned = sorted(_BANNED_NAME_CHARACTERS.intersection(value))
    if banned:
        raise ValueError(f"name must not contain {' '.join(banned)}")
    return value


def _text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


_Name = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_name)]
_Str255 = Annotated[str, Field(max_length=255)]
_Count = Annotated[int, Field(ge=0, le=_MAX_INT)]
_Seconds = Annotated[float, Field(ge=0, le=_MAX_DELAY, allow_inf_nan=False)]
_DynamicKey = Annotated[_Str255, BeforeValidator(_text)]


class _Action(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RunPolicy(BaseModel):
    """How a run is retried (``empirical_policy``), with bounded values."""

    model_config = ConfigDict(extra="allow")

    retries: Annotated[int, Field(ge=0, le=_MAX_INT)] | None = None
    retry_delay: _Seconds | list[_Seconds] | None = None
    retry_jitter_factor: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None = None
    pause_keys: list[str] = Field(default_factory=list)
    resuming: bool = False
    retry_type: str | None = None


class StateDetailsCreate(BaseModel):
    """A state's details; the known keys are typed, others pass through as JSON."""

    model_config = ConfigDict(extra="allow")

    flow_run_id: uuid.UUID | None = None
    task_run_id: uuid.UUID | None = None
    scheduled_time: UtcDatetime | None = None
    cache_key: str | None = None
    cache_expiration: UtcDatetime | None = None
    pause_timeout: UtcDatetime | None = None
    pause_reschedule: bool | None = None
    pause_key: str | None = None
    run_input_keyset: dict[str, str] | None = None
    retriable: bool | None = None
    refresh_cache: bool | None = None
    deferred: bool | None = None
    untrackable_result: bool | None = None
    transition_id: uuid.UUID | None = None
    task_parameters_id: uuid.UUID | None = None
    traceparent: str | None = None


class StateCreate(_Action):
    """A proposed state: ``type`` is required; the name defaults to the type's."""

    type: StateType
    name: Annotated[str, Field(max_length=100)] | None = None
    message: str | None = None
    data: Any = None
    state_details: StateDetailsCreate = Field(default_factory=StateDetailsCreate)
    timestamp: UtcDatetime | None = None
    """When the state was entered (default: when the server receives it)."""
    id: uuid.UUID | None = None

    def to_state(self) -> State:
        """The ``State`` this body describes."""
        return State(
            self.type,
            name=self.name,
            message=self.message,
            data=self.data,
            state_details=self.state_details.model_dump(exclude_unset=True),
            timestamp=self.timestamp,
            id=self.id,
        )


class FlowCreate(_Action):
    """Create a flow (idempotent by name)."""

    name: _Name
    tags: list[_Str255] = Field(default_factory=list)
    labels: dict[str, Any] = Field(default_factory=dict)


class FlowUpdate(_Action):
    """Change a flow's tags."""

    tags: list[_Str255] = Field(default_factory=list)


class FlowRunCreate(_Action):
    """Create a flow run; its state defaults to Pending."""

    id: uuid.UUID | None = None
    """The run's id (default: a new one); the SDK chooses it before creating the run."""
    name: Annotated[str, Field(max_length=255)] | None = None
    """Default: a random ``adjective-animal`` name."""
    flow_id: uuid.UUID
    flow_version: _Str255 | None = None
    deployment_id: uuid.UUID | None = None
    state: StateCreate | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    parent_task_run_id: uuid.UUID | None = None
    empirical_policy: RunPolicy = Field(default_factory=RunPolicy)
    tags: list[_Str255] = Field(default_factory=list)
    labels: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: _Str255 | None = None
    """A second create with the same flow and key returns the first run."""
    work_queue_name: _Str255 | None = None
    job_variables: dict[str, Any] | None = None
    entrypoint: str | None = None
    hostname: _Str255 | None = None
    pid: _Count | None = None

    def to_row(self) -> dict[str, Any]:
        """The row ``orchestration.flow_runs.create_or_read`` takes: the stored fields, the
        policy as a dict and the first state as a ``State`` (None: Pending)."""
        row = self.model_dump(exclude={"state", "context", "empirical_policy"})
        row["empirical_policy"] = self.empirical_policy.model_dump(exclude_none=True)
        row["state"] = self.state.to_state() if self.state is not None else None
        return row


class FlowRunUpdate(_Action):
    """Change plain fields of a flow run (only the fields sent are changed)."""

    # Fields without "| None" may be left out but not set to null (their columns are required).
    name: _Str255 = None  # type: ignore[assignment]
    flow_version: _Str255 | None = None
    parameters: dict[str, Any] = None  # type: ignore[assignment]
    empirical_policy: RunPolicy = None  # type: ignore[assignment]
    tags: list[_Str255] = None  # type: ignore[assignment]
    infrastructure_pid: _Str255 | None = None
    job_variables: dict[str, Any] | None = None
    heartbeat: UtcDatetime | None = None
    hostname: _Str255 | None = None
    pid: _Count | None = None
    entrypoint: str | None = None
    work_queue_name: _Str255 | None = None
    attempt: _Count | None = None
    """Not a field: the attempt of the run this change comes from (praefect's heartbeats send
    it); once a newer attempt has started the change is ignored."""


class TaskRunInputCreate(BaseModel):
    """One upstream input of a task run (``{"input_type": "task_run", "id": ...}``)."""

    model_config = ConfigDict(extra="allow")

    input_type: Annotated[str, Field(max_length=50)] = "task_run"
    id: uuid.UUID | None = None


class TaskRunCreate(_Action):
    """A task run's whole row, as the client's write-behind queue holds it."""

    id: uuid.UUID | None = None
    """The run's id (default: a new one); sending the same id again updates the run."""
    name: _Str255
    flow_run_id: uuid.UUID | None = None
    task_key: _Str255
    dynamic_key: _DynamicKey = "0"
    task_version: _Str255 | None = None
    cache_key: Annotated[str, Field(max_length=1000)] | None = None
    cache_expiration: UtcDatetime | None = None
    tags: list[_Str255] = Field(default_factory=list)
    labels: dict[str, Any] = Field(default_factory=dict)
    task_inputs: dict[str, list[TaskRunInputCreate]] = Field(default_factory=dict)
    empirical_policy: RunPolicy = Field(default_factory=RunPolicy)
    run_count: _Count = 0
    flow_run_run_count: _Count = 0
    created: UtcDatetime | None = None
    expected_start_time: UtcDatetime | None = None
    start_time: UtcDatetime | None = None
    end_time: UtcDatetime | None = None
    total_run_time: _Seconds = 0.0
    state: StateCreate | None = None
    """The first state (default: Pending)."""

    def to_row(self, run_id: uuid.UUID) -> dict[str, Any]:
        """The row ``orchestration.task_runs.write_batch`` takes."""
        row = self.model_dump(mode="python", exclude={"state", "labels", "task_inputs"})
        row["id"] = run_id
        row["task_inputs"] = {
            key: [item.model_dump(mode="json") for item in items]
            for key, items in self.task_inputs.items()
        }
        row["empirical_policy"] = self.empirical_policy.model_dump(mode="json")
        return row


class TaskRunUpdate(_Action):
    """Rename a task run."""

    name: _Str255


class TaskRunRow(TaskRunCreate):
    """A task run's whole row with its id (what the write-behind queue sends)."""

    id: uuid.UUID


class TaskRunBatchItem(_Action):
    """One entry of ``POST /api/task_runs/batch``: a task run's current row and, when it changed
    state, its new state. Since the last row of a task run in a batch wins, a client may send a
    run's row once, with its last item, and name the run by ``task_run_id`` in the others."""

    row: TaskRunRow | None = None
    task_run_id: uuid.UUID | None = None
    """The task run of an item that leaves ``row`` out."""
    state: StateCreate | None = None

    @model_validator(mode="after")
    def _names_its_task_run(self) -> TaskRunBatchItem:
        if self.row is None and self.task_run_id is None:
            raise ValueError("an item needs the task run's row or its task_run_id")
        return self


# -- the same batch item, read without models (the batch route's fast path) -------------------
#
# ``TaskRunBatchWireItem`` accepts a subset of what ``TaskRunBatchItem`` accepts: ids only in their
# canonical text (lowercase, hyphenated) and times only as ``YYYY-MM-DDTHH:MM:SS[.ffffff]`` in UTC
# (``Z``, ``+00:00`` or no zone); every other field has the type and bounds of its field above. It yields plain dicts keeping that text, so the
# batch route stores it without building a model, a UUID or a datetime per value. A body it
# refuses is validated again by ``TaskRunBatchItem`` (whose 422 names the field); a field added
# above must be added here too (tests compare the two).

_CanonicalUuid = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
]
_UtcText = Annotated[
    str,
    StringConstraints(
        pattern=r"^[1-8][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?(Z|\+00:00)?$"
    ),
]


class _WireDetails(TypedDict, total=False):
    # StateDetailsCreate's fields, in its order (a dict of it lists them so, then the others)
    __pydantic_config__ = ConfigDict(extra="allow")  # type: ignore[misc]

    flow_run_id: _CanonicalUuid | None
    task_run_id: _CanonicalUuid | None
    scheduled_time: _UtcText | None
    cache_key: str | None
    cache_expiration: _UtcText | None
    pause_timeout: _UtcText | None
    pause_reschedule: bool | None
    pause_key: str | None
    run_input_keyset: dict[str, str] | None
    retriable: bool | None
    refresh_cache: bool | None
    deferred: bool | None
    untrackable_result: bool | None
    transition_id: _CanonicalUuid | None
    task_parameters_id: _CanonicalUuid | None
    traceparent: str | None


class _WireState(TypedDict, total=False):
    type: Required[StateType]
    name: Annotated[str, Field(max_length=100)] | None
    message: str | None
    data: Any
    state_details: _WireDetails
    timestamp: _UtcText | None
    id: _CanonicalUuid | None


class _WireRow(TypedDict, total=False):
    id: Required[_CanonicalUuid]
    name: Required[_Str255]
    flow_run_id: _CanonicalUuid | None
    task_key: Required[_Str255]
    dynamic_key: _DynamicKey
    task_version: _Str255 | None
    cache_key: Annotated[str, Field(max_length=1000)] | None
    cache_expiration: _UtcText | None
    tags: list[_Str255]
    labels: dict[str, Any]
    task_inputs: dict[str, list[TaskRunInputCreate]]
    empirical_policy: RunPolicy
    run_count: _Count
    flow_run_run_count: _Count
    created: _UtcText | None
    expected_start_time: _UtcText | None
    start_time: _UtcText | None
    end_time: _UtcText | None
    total_run_time: _Seconds
    state: _WireState | None


class TaskRunBatchWireItem(TypedDict, total=False):
    """``TaskRunBatchItem`` as plain dicts with canonical text (see above); unlike it, an item
    naming neither ``row`` nor ``task_run_id`` passes here (the caller checks)."""

    row: _WireRow | None
    task_run_id: _CanonicalUuid | None
    state: _WireState | None


class LogCreate(_Action):
    """One log line of a run."""

    id: uuid.UUID | None = None
    name: _Str255
    level: Annotated[int, Field(ge=0, le=1000)]
    message: str
    timestamp: UtcDatetime
    flow_run_id: uuid.UUID | None = None
    task_run_id: uuid.UUID | None = None


class LogWireItem(TypedDict, total=False):
    """``LogCreate`` as a plain dict, ids and time kept as their canonical text (the logs
    route's fast path; see ``TaskRunBatchWireItem``)."""

    id: _CanonicalUuid | None
    name: Required[_Str255]
    level: Required[Annotated[int, Field(ge=0, le=1000)]]
    message: Required[str]
    timestamp: Required[_UtcText]
    flow_run_id: _CanonicalUuid | None
    task_run_id: _CanonicalUuid | None


# -- deployments -------------------------------------------------------------------------------
class DeploymentCreate(_Action):
    """Create a deployment, or update the one of the same flow and name (Prefect's upsert).

    >>> body = DeploymentCreate.model_validate(
    ...     {"name": "nightly", "flow_id": str(uuid.UUID(int=1)), "schedules": [{"schedule": {"cron": "0 9 * * *"}}]})
    >>> body.schedules[0].schedule.cron
    '0 9 * * *'
    """

    id: uuid.UUID | None = None
    name: _Name
    flow_id: uuid.UUID
    version: _Str255 | None = None
    description: str | None = None
    paused: bool = False
    schedules: list[DeploymentScheduleCreate] = Field(default_factory=list)
    concurrency_limit: Annotated[int, Field(gt=0, le=_MAX_INT)] | None = None
    enforce_parameter_schema: bool = True
    parameter_openapi_schema: dict[str, Any] | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    tags: list[_Str255] = Field(default_factory=list)
    labels: dict[str, Any] = Field(default_factory=dict)
    pull_steps: list[dict[str, Any]] | None = None
    work_queue_name: _Str255 | None = None
    work_pool_name: _Str255 | None = None
    path: str | None = None
    entrypoint: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)

    def to_row(self) -> dict[str, Any]:
        """What ``orchestration.deployments.create`` takes."""
        row = self.model_dump(mode="python", exclude={"labels", "schedules"})
        row["schedules"] = [s.model_dump(mode="json") for s in self.schedules]
        return row


class DeploymentUpdate(_Action):
    """Change fields of a deployment (only the fields sent are changed; ``schedules`` sent
    replace its schedules)."""

    version: _Str255 | None = None
    description: str | None = None
    paused: bool | None = None
    schedules: list[DeploymentScheduleCreate] | None = None
    concurrency_limit: Annotated[int, Field(gt=0, le=_MAX_INT)] | None = None
    enforce_parameter_schema: bool | None = None
    parameter_openapi_schema: dict[str, Any] | None = None
    parameters: dict[str, Any] | None = None
    tags: list[_Str255] | None = None
    pull_steps: list[dict[str, Any]] | None = None
    work_queue_name: _Str255 | None = None
    work_pool_name: _Str255 | None = None
    path: str | None = None
    entrypoint: str | None = None
    job_variables: dict[str, Any] | None = None

    def to_changes(self) -> dict[str, Any]:
        """The fields sent, as ``orchestration.deployments.update`` takes them."""
        changes = self.model_dump(mode="python", exclude_unset=True, exclude={"schedules"})
        if self.schedules is not None:
            changes["schedules"] = [s.model_dump(mode="json") for s in self.schedules]
        return changes


class DeploymentFlowRunCreate(_Action):
    """Create a run of a deployment (``POST /api/deployments/{id}/create_flow_run``)."""

    name: _Str255 | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    """Over the deployment's; checked against its parameter schema when it enforces it."""
    state: StateCreate | None = None
    """The first state (default: Scheduled now)."""
    context: dict[str, Any] = Field(default_factory=dict)
    tags: list[_Str255] = Field(default_factory=list)
    """Added to the deployment's."""
    labels: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: _Str255 | None = None
    """A key already used gives back the run created with it."""
    parent_task_run_id: uuid.UUID | None = None
    work_queue_name: _Str255 | None = None
    job_variables: dict[str, Any] | None = None
    enforce_parameter_schema: bool | None = None

    def to_row(self) -> dict[str, Any]:
        """What ``orchestration.deployments.create_flow_run`` takes."""
        row = self.model_dump(mode="python", exclude={"state", "context", "labels"})
        row["state"] = self.state.to_state() if self.state is not None else None
        return row


class TaskRunClaim(_Action):
    """A task worker asks for Scheduled background runs of its tasks (``POST
    /api/task_runs/claim``): each run is given to one worker only."""

    task_keys: Annotated[list[_Str255], Field(min_length=1)]
    """The keys of the tasks the worker serves."""
    client_id: _Str255
    """The worker's id (its claims are recorded against it)."""
    limit: Annotated[int, Field(ge=1, le=1000)] = 1
    """The most runs to take."""
    timeout: Annotated[float, Field(ge=0, le=60)] = 0.0
    """Seconds to wait for a run when none is ready (a long poll)."""


class TaskWorkerHeartbeat(_Action):
    """A task worker says it is alive (``POST /api/task_workers/heartbeat``)."""

    client_id: _Str255
    task_keys: list[_Str255] = Field(default_factory=list)
    hostname: _Str255 | None = None
    pid: int | None = None


# -- flow run inputs and resuming ----------------------------------------------------------------
_InputKey = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[a-z0-9-]+$")]


class FlowRunInputCreate(_Action):
    """Save an input for a flow run (the body of ``POST /flow_runs/{id}/input``)."""

    key: _InputKey
    """Unique per run: lowercase letters, digits and dashes."""
    value: str
    """The input as JSON text."""
    sender: _Str255 | None = None
    """Who sent it (``prefect.flow-run.<id>`` when a flow run did)."""


class FlowRunResume(_Action):
    """Resume a paused flow run (the body of ``POST /flow_runs/{id}/resume``)."""

    run_input: dict[str, Any] | None = None
    """The input the run waits for, checked against the schema it saved."""


class FlowRunBulkSetState(_Action):
    """Propose ``state`` for at most ``limit`` (50) flow runs matching ``flow_runs`` (the body of
    ``POST /flow_runs/bulk_set_state``); each goes through the orchestration rules unless
    ``force``."""

    flow_runs: FlowRunFilter | None = None
    state: StateCreate
    force: bool = False
    limit: Annotated[int, Field(ge=1, le=50)] = 50
