"""In-memory records of the runs executing in this process.

Plain slotted objects with Prefect's ``FlowRun`` / ``TaskRun`` attribute names: hooks and
``runtime`` read them, the engine turns them into rows for the write-behind store. No pydantic on
this path.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Any

from praefect.schemas.states import State
from praefect.utilities import clock as _clock
from praefect.utilities.ids import uuid7


class _Record:
    """What both records read of their current state (Prefect's ``state_type``/``state_name``)."""

    __slots__ = ()
    state: State | None
    _logger: Any

    def logger(self) -> Any:
        """The run's logger, made on first use (most runs never log)."""
        if self._logger is None:
            from praefect.logging import loggers

            self._logger = self._make_logger(loggers)
        return self._logger

    def _make_logger(self, loggers: Any) -> Any:
        raise NotImplementedError

    @property
    def state_type(self) -> Any:
        return self.state.type if self.state is not None else None

    @property
    def state_name(self) -> str | None:
        return self.state.name if self.state is not None else None


class TaskRunRecord(_Record):
    """One task run (what ``flow_run`` hooks and ``runtime.task_run`` see)."""

    __slots__ = (
        "id",
        "name",
        "task_key",
        "dynamic_key",
        "flow_run_id",
        "tags",
        "task_inputs",
        "run_count",
        "flow_run_run_count",
        "state",
        "start_time",
        "end_time",
        "total_run_time",
        "expected_start_time",
        "created",
        "task_version",
        "empirical_policy",
        "cache_key",
        "cache_expiration",
        "flow_context",
        "_logger",
        "_task",
        "_row",
    )

    def __init__(
        self,
        task: Any,
        name: str,
        flow_context: Any,
        tags: list[str],
        task_inputs: dict[str, list[dict[str, Any]]],
    ) -> None:
        now = _clock.now()
        self.id = uuid7()
        self.name = name
        self._task = task
        self.task_key = task.task_key
        self.flow_context = flow_context
        if flow_context is not None:
            self.flow_run_id = flow_context.flow_run.id
            self.flow_run_run_count = flow_context.flow_run.run_count
            self.dynamic_key = flow_context.next_dynamic_key(task.task_key)
        else:
            self.flow_run_id = None
            self.flow_run_run_count = 0
            self.dynamic_key = uuid7().hex[-8:]
        self.tags = tags
        self.task_inputs = task_inputs
        self.run_count = 0
        self.state: State | None = None
        self.start_time: _dt.datetime | None = None
        self.end_time: _dt.datetime | None = None
        self.total_run_time = 0.0
        self.expected_start_time = now
        self.created = now
        self.task_version = task.version
        self.empirical_policy = task.empirical_policy
        self.cache_key: str | None = None
        self.cache_expiration: _dt.datetime | None = None
        self._logger: Any = None
        self._row: dict[str, Any] | None = None

    def _make_logger(self, loggers: Any) -> Any:
        flow_run = self.flow_context.flow_run if self.flow_context is not None else None
        return loggers.task_run_logger(self, self._task, flow_run)

    def to_row(self) -> dict[str, Any]:
        """The run's row for the store. One dict per run, updated in place on every state
        change (only existing keys: the write-behind writer may be reading it, and wants the
        newest values anyway) so a queued flow of small tasks holds one row per run, not one per
        state."""
        row = self._row
        if row is not None:
            row["name"] = self.name
            row["run_count"] = self.run_count
            row["cache_key"] = self.cache_key
            row["cache_expiration"] = self.cache_expiration
            row["start_time"] = self.start_time
            row["end_time"] = self.end_time
            row["total_run_time"] = self.total_run_time
            return row
        row = self._row = {
            "id": self.id,
            "name": self.name,
            "flow_run_id": self.flow_run_id,
            "task_key": self.task_key,
            "dynamic_key": self.dynamic_key,
            "task_version": self.task_version,
            "tags": self.tags,
            "task_inputs": self.task_inputs,
            "empirical_policy": self.empirical_policy,
            "run_count": self.run_count,
            "flow_run_run_count": self.flow_run_run_count,
            "cache_key": self.cache_key,
            "cache_expiration": self.cache_expiration,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "total_run_time": self.total_run_time,
            "expected_start_time": self.expected_start_time,
            "created": self.created,
        }
        return row

    def __repr__(self) -> str:
        return f"TaskRun(id={self.id}, name={self.name!r}, state={self.state!r})"


class FlowRunRecord(_Record):
    """One flow run (what flow hooks and ``runtime.flow_run`` see)."""

    __slots__ = (
        "id",
        "name",
        "flow_id",
        "flow_name",
        "parameters",
        "tags",
        "run_count",
        "state",
        "parent_task_run_id",
        "parent_flow_run_id",
        "expected_start_time",
        "start_time",
        "end_time",
        "flow_version",
        "empirical_policy",
        "deployment_id",
        "created",
        "_logger",
        "_flow",
    )

    def __init__(self, flow: Any, parameters: dict[str, Any], tags: list[str]) -> None:
        now = _clock.now()
        self.id = uuid7()
        self.name = ""
        self._flow = flow
        self.flow_id: uuid.UUID | None = None
        self.flow_name = flow.name
        self.parameters = parameters
        self.tags = tags
        self.run_count = 0
        self.state: State | None = None
        self.parent_task_run_id: uuid.UUID | None = None
        self.parent_flow_run_id: uuid.UUID | None = None
        self.expected_start_time = now
        self.start_time: _dt.datetime | None = None
        self.end_time: _dt.datetime | None = None
        self.flow_version = flow.version
        self.empirical_policy = flow.empirical_policy
        self.deployment_id = None
        self.created = now
        self._logger: Any = None

    def _make_logger(self, loggers: Any) -> Any:
        return loggers.flow_run_logger(self, self._flow)

    def __repr__(self) -> str:
        return f"FlowRun(id={self.id}, name={self.name!r}, state={self.state!r})"
