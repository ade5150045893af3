"""Filter schemas for reading flows, runs and logs (Prefect's class and field names).

>>> from praefect.schemas.states import StateType
>>> f = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=["FAILED"])))
>>> f.state.type.any_ == [StateType.FAILED]
True
"""

from __future__ import annotations

import datetime as _dt
import enum
import re
import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from praefect.schemas.states import StateType

__all__ = [
    "BlockDocumentFilter",
    "BlockDocumentFilterBlockTypeId",
    "BlockDocumentFilterId",
    "BlockDocumentFilterIsAnonymous",
    "BlockDocumentFilterName",
    "BlockSchemaFilter",
    "BlockSchemaFilterBlockTypeId",
    "BlockSchemaFilterCapabilities",
    "BlockSchemaFilterId",
    "BlockSchemaFilterVersion",
    "BlockTypeFilter",
    "BlockTypeFilterName",
    "BlockTypeFilterSlug",
    "DeploymentFilter",
    "DeploymentFilterConcurrencyLimit",
    "DeploymentFilterId",
    "DeploymentFilterName",
    "DeploymentFilterPaused",
    "DeploymentFilterTags",
    "DeploymentFilterWorkQueueName",
    "FlowFilter",
    "FlowFilterId",
    "FlowFilterName",
    "FlowFilterTags",
    "FlowRunFilter",
    "FlowRunFilterCreatedBy",
    "FlowRunFilterDeploymentId",
    "FlowRunFilterEndTime",
    "FlowRunFilterExpectedStartTime",
    "FlowRunFilterFlowVersion",
    "FlowRunFilterId",
    "FlowRunFilterIdempotencyKey",
    "FlowRunFilterName",
    "FlowRunFilterNextScheduledStartTime",
    "FlowRunFilterParentFlowRunId",
    "FlowRunFilterParentTaskRunId",
    "FlowRunFilterStartTime",
    "FlowRunFilterState",
    "FlowRunFilterStateName",
    "FlowRunFilterStateType",
    "FlowRunFilterTags",
    "FlowRunFilterWorkQueueName",
    "LogFilter",
    "LogFilterFlowRunId",
    "LogFilterLevel",
    "LogFilterName",
    "LogFilterTaskRunId",
    "LogFilterTextSearch",
    "LogFilterTimestamp",
    "Operator",
    "TaskRunFilter",
    "TaskRunFilterEndTime",
    "TaskRunFilterFlowRunId",
    "TaskRunFilterId",
    "TaskRunFilterName",
    "TaskRunFilterStartTime",
    "TaskRunFilterState",
    "TaskRunFilterStateName",
    "TaskRunFilterStateType",
    "TaskRunFilterSubFlowRuns",
    "TaskRunFilterTags",
    "TaskWorkerFilter",
]


MAX_TAGS = 100
"""The most tags a tag filter's ``all_`` or ``any_`` takes: each tag is a text match of its own
(and SQLite nests at most 1,000 of them in one query)."""
_TagList = Annotated[list[str], Field(max_length=MAX_TAGS)]
_Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]


def _utc_bound(value: _dt.datetime) -> _dt.datetime:
    # A bound beyond the times UTC can write (0001-01-01 at +01:00) bounds no more than the
    # first or last of them: each database then compares it alike.
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    try:
        return value.astimezone(_dt.UTC)
    except OverflowError:
        end = _dt.datetime.min if value.year == _dt.MINYEAR else _dt.datetime.max
        return end.replace(tzinfo=_dt.UTC)


TimeBound = Annotated[_dt.datetime, AfterValidator(_utc_bound)]
"""A time a filter compares with, in UTC (no zone given: UTC)."""


class Operator(enum.StrEnum):
    """How the criteria of one filter combine."""

    and_ = "and_"
    or_ = "or_"


class _Filter(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Combined(_Filter):
    operator: Operator = Operator.and_
    """Whether all criteria (``and_``) or any (``or_``) must hold."""


class _Ids(_Filter):
    any_: list[uuid.UUID] | None = None
    """Match any of these ids."""


class _Names(_Filter):
    any_: list[str] | None = None
    """Match any of these names exactly."""
    like_: str | None = None
    """Match names containing this text (case-insensitive)."""


class _Tags(_Combined):
    all_: _TagList | None = None
    """Match runs having every one of these tags."""
    any_: _TagList | None = None
    """Match runs having at least one of these tags."""
    is_null_: bool | None = None
    """True: match runs without tags; False: runs with tags."""


class _Times(_Filter):
    before_: TimeBound | None = None
    """At or before this time."""
    after_: TimeBound | None = None
    """At or after this time."""
    is_null_: bool | None = None
    """True: match rows where the time is unset; False: where it is set."""


class _StateTypes(_Filter):
    any_: list[StateType] | None = None
    not_any_: list[StateType] | None = None


class _StateNames(_Filter):
    any_: list[str] | None = None
    not_any_: list[str] | None = None


class FlowFilterId(_Ids):
    """Filter flows by id."""


class FlowFilterName(_Names):
    """Filter flows by name."""


class FlowFilterTags(_Tags):
    """Filter flows by tags."""


class FlowFilter(_Combined):
    """Filter flows."""

    id: FlowFilterId | None = None
    name: FlowFilterName | None = None
    tags: FlowFilterTags | None = None


class FlowRunFilterId(_Ids):
    """Filter flow runs by id."""

    not_any_: list[uuid.UUID] | None = None


class FlowRunFilterName(_Names):
    """Filter flow runs by name."""


class FlowRunFilterTags(_Tags):
    """Filter flow runs by tags."""


class FlowRunFilterStateType(_StateTypes):
    """Filter flow runs by state type."""


class FlowRunFilterStateName(_StateNames):
    """Filter flow runs by state name."""


class FlowRunFilterState(_Combined):
    """Filter flow runs by state type and name."""

    type: FlowRunFilterStateType | None = None
    name: FlowRunFilterStateName | None = None


class FlowRunFilterStartTime(_Times):
    """Filter flow runs by start time."""


class FlowRunFilterEndTime(_Times):
    """Filter flow runs by end time."""


class FlowRunFilterExpectedStartTime(_Times):
    """Filter flow runs by expected start time."""


class FlowRunFilterParentTaskRunId(_Ids, _Combined):
    """Filter flow runs by the task run that stands for them in a parent flow."""

    is_null_: bool | None = None


class FlowRunFilterParentFlowRunId(_Ids, _Combined):
    """Filter subflow runs by the flow run they were called from."""


class FlowRunFilterDeploymentId(_Ids, _Combined):
    """Filter flow runs by deployment."""

    is_null_: bool | None = None


class FlowRunFilterWorkQueueName(_Combined):
    """Filter flow runs by work queue name."""

    any_: list[str] | None = None
    is_null_: bool | None = None


class FlowRunFilterFlowVersion(_Filter):
    """Filter flow runs by the version of their flow."""

    any_: list[str] | None = None


class FlowRunFilterNextScheduledStartTime(_Filter):
    """Filter flow runs by the time their next retry or schedule is due."""

    before_: TimeBound | None = None
    after_: TimeBound | None = None


class FlowRunFilterCreatedBy(_Combined):
    """Filter flow runs by who created them (praefect records no creator: every run's is
    null, so ``id_`` and ``type_`` match none and ``is_null_`` all or none)."""

    id_: list[uuid.UUID] | None = None
    type_: list[str] | None = None
    is_null_: bool | None = None


class FlowRunFilterIdempotencyKey(_Filter):
    """Filter flow runs by idempotency key."""

    any_: list[str] | None = None
    not_any_: list[str] | None = None


class FlowRunFilter(_Combined):
    """Filter flow runs."""

    id: FlowRunFilterId | None = None
    name: FlowRunFilterName | None = None
    tags: FlowRunFilterTags | None = None
    deployment_id: FlowRunFilterDeploymentId | None = None
    work_queue_name: FlowRunFilterWorkQueueName | None = None
    state: FlowRunFilterState | None = None
    start_time: FlowRunFilterStartTime | None = None
    end_time: FlowRunFilterEndTime | None = None
    expected_start_time: FlowRunFilterExpectedStartTime | None = None
    parent_task_run_id: FlowRunFilterParentTaskRunId | None = None
    parent_flow_run_id: FlowRunFilterParentFlowRunId | None = None
    idempotency_key: FlowRunFilterIdempotencyKey | None = None
    flow_version: FlowRunFilterFlowVersion | None = None
    next_scheduled_start_time: FlowRunFilterNextScheduledStartTime | None = None
    created_by: FlowRunFilterCreatedBy | None = None


class TaskRunFilterId(_Ids):
    """Filter task runs by id."""


class TaskRunFilterName(_Names):
    """Filter task runs by name."""


class TaskRunFilterTags(_Tags):
    """Filter task runs by tags."""


class TaskRunFilterStateType(_StateTypes):
    """Filter task runs by state type."""


class TaskRunFilterStateName(_StateNames):
    """Filter task runs by state name."""


class TaskRunFilterState(_Combined):
    """Filter task runs by state type and name."""

    type: TaskRunFilterStateType | None = None
    name: TaskRunFilterStateName | None = None


class TaskRunFilterStartTime(_Times):
    """Filter task runs by start time."""


class TaskRunFilterEndTime(_Times):
    """Filter task runs by end time."""


class TaskRunFilterSubFlowRuns(_Filter):
    """Filter task runs by whether they stand for a subflow run in their flow run."""

    exists_: bool | None = None
    """True: only the task runs of subflow runs; False: none of them."""


class TaskRunFilterFlowRunId(_Ids):
    """Filter task runs by flow run."""

    is_null_: bool | None = None


class TaskRunFilter(_Combined):
    """Filter task runs."""

    id: TaskRunFilterId | None = None
    name: TaskRunFilterName | None = None
    tags: TaskRunFilterTags | None = None
    state: TaskRunFilterState | None = None
    start_time: TaskRunFilterStartTime | None = None
    end_time: TaskRunFilterEndTime | None = None
    expected_start_time: FlowRunFilterExpectedStartTime | None = None
    subflow_runs: TaskRunFilterSubFlowRuns | None = None
    flow_run_id: TaskRunFilterFlowRunId | None = None


class LogFilterName(_Filter):
    """Filter logs by logger name."""

    any_: list[str] | None = None


class LogFilterLevel(_Filter):
    """Filter logs by level."""

    ge_: _Int32 | None = None
    le_: _Int32 | None = None


class LogFilterTimestamp(_Times):
    """Filter logs by time."""


class LogFilterFlowRunId(_Ids):
    """Filter logs by flow run."""


class LogFilterTaskRunId(_Ids):
    """Filter logs by task run."""

    is_null_: bool | None = None


class LogFilterTextSearch(_Filter):
    """Filter logs by words in their message or logger name, case-insensitively: ``error
    timeout`` matches either word, ``+db`` requires a word, ``-debug`` excludes one, and
    ``"connection reset"`` is one phrase.

    >>> LogFilterTextSearch(query='error +db -"retrying soon"').terms()
    (['error'], ['db'], ['retrying soon'])
    """

    query: Annotated[str, Field(max_length=200)]

    def terms(self) -> tuple[list[str], list[str], list[str]]:
        """The query's words (or phrases): any of, all of, none of."""
        any_of: list[str] = []
        all_of: list[str] = []
        none_of: list[str] = []
        for match in _WORD.finditer(self.query):
            sign, phrase, word = match.groups()
            term = phrase if phrase is not None else word
            if not term:
                continue
            {"+": all_of, "-": none_of}.get(sign, any_of).append(term)
        return any_of, all_of, none_of


_WORD = re.compile(r'([+-]?)(?:"([^"]*)"?|(\S+))')


class LogFilter(_Combined):
    """Filter logs."""

    name: LogFilterName | None = None
    level: LogFilterLevel | None = None
    timestamp: LogFilterTimestamp | None = None
    flow_run_id: LogFilterFlowRunId | None = None
    task_run_id: LogFilterTaskRunId | None = None
    text: LogFilterTextSearch | None = None


class DeploymentFilterId(_Ids):
    """Filter deployments by id."""

    not_any_: list[uuid.UUID] | None = None


class DeploymentFilterName(_Names):
    """Filter deployments by name."""


class DeploymentFilterTags(_Tags):
    """Filter deployments by tags."""


class DeploymentFilterWorkQueueName(_Filter):
    """Filter deployments by the name of their work queue."""

    any_: list[str] | None = None


class DeploymentFilterPaused(_Filter):
    """Filter deployments by whether they are paused."""

    eq_: bool | None = None


class DeploymentFilterConcurrencyLimit(_Filter):
    """Filter deployments by their concurrency limit."""

    ge_: _Int32 | None = None
    le_: _Int32 | None = None
    is_null_: bool | None = None


class DeploymentFilter(_Combined):
    """Filter deployments (flow runs are narrowed by ``id`` only)."""

    id: DeploymentFilterId | None = None
    name: DeploymentFilterName | None = None
    tags: DeploymentFilterTags | None = None
    work_queue_name: DeploymentFilterWorkQueueName | None = None
    paused: DeploymentFilterPaused | None = None
    concurrency_limit: DeploymentFilterConcurrencyLimit | None = None


class BlockTypeFilterName(_Filter):
    """Filter block types by name."""

    like_: str | None = None
    """Match names containing this text (case-insensitive)."""


class BlockTypeFilterSlug(_Filter):
    """Filter block types by slug."""

    any_: list[str] | None = None


class BlockTypeFilter(_Filter):
    """Filter block types."""

    name: BlockTypeFilterName | None = None
    slug: BlockTypeFilterSlug | None = None


class BlockSchemaFilterBlockTypeId(_Ids):
    """Filter block schemas by block type."""


class BlockSchemaFilterId(_Ids):
    """Filter block schemas by id."""


class BlockSchemaFilterCapabilities(_Filter):
    """Filter block schemas by the capabilities they all have."""

    all_: list[str] | None = None


class BlockSchemaFilterVersion(_Filter):
    """Filter block schemas by version."""

    any_: list[str] | None = None


class BlockSchemaFilter(_Combined):
    """Filter block schemas. praefect keeps one schema per block type, without capabilities
    or a version: ``block_capabilities.all_`` and ``version.any_`` match none."""

    block_type_id: BlockSchemaFilterBlockTypeId | None = None
    block_capabilities: BlockSchemaFilterCapabilities | None = None
    id: BlockSchemaFilterId | None = None
    version: BlockSchemaFilterVersion | None = None


class BlockDocumentFilterId(_Ids):
    """Filter block documents by id."""


class BlockDocumentFilterIsAnonymous(_Filter):
    """Filter block documents by whether they are anonymous."""

    eq_: bool | None = None


class BlockDocumentFilterBlockTypeId(_Ids):
    """Filter block documents by block type."""


class BlockDocumentFilterName(_Names):
    """Filter block documents by name."""


class BlockDocumentFilter(_Combined):
    """Filter block documents (anonymous ones only when ``is_anonymous`` asks for them)."""

    id: BlockDocumentFilterId | None = None
    is_anonymous: BlockDocumentFilterIsAnonymous | None = None
    block_type_id: BlockDocumentFilterBlockTypeId | None = None
    name: BlockDocumentFilterName | None = None


class TaskWorkerFilter(_Filter):
    """Which task workers: those serving any of ``task_keys`` (the body of
    ``POST /api/task_workers/filter`` is ``{"task_worker_filter": {...}}``)."""

    task_keys: list[str] = Field(default_factory=list)
