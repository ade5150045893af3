"""Lists of flow runs, task runs and logs as JSON, written from the values the database driver
returns.

``FlowRun.from_row`` of each run and one ``dump_json`` of the list cost ~100 µs a run:
SQLAlchemy turns every column into a Python object (UUIDs, times, parsed JSON), pydantic
validates the model, then writes all of it back to text. A list needs none of those objects.
``flow_runs_json`` takes the runs as ``orchestration.flow_runs.read_many_raw`` gives them (on
SQLite ids and times are still text), turns each into a dict of JSON values with ``FlowRun``'s
fields in ``FlowRun``'s order, and writes the whole list with one ``pydantic_core.to_json``.

The bytes are those of the models (tests/server/test_list_json.py compares them over every
column, on SQLite and PostgreSQL): times in pydantic's form (``...T12:00:00.5Z``) and a state's
timestamp in ``isoformat`` (as ``State`` writes it), ids in canonical text, durations in seconds,
the policy through its model, the ``estimated_*`` fields derived as ``from_row`` derives them.
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import pydantic_core
from pydantic import TypeAdapter

from praefect.orchestration import flow_runs, logs, task_runs
from praefect.schemas.objects import FlowRunPolicy, TaskRunInput, TaskRunPolicy
from praefect.schemas.states import StateType, now_utc, stored_details_json
from praefect.utilities import ids

__all__ = ["flow_runs_json", "logs_json", "task_runs_json"]

_UTC = _dt.UTC
_ZERO = _dt.timedelta(0)
_STATE_TYPES = frozenset(t.value for t in StateType)
_DEFAULT_STATE_NAMES = {t.value: t.value.title() for t in StateType}


def _utc(value: _dt.datetime) -> _dt.datetime:
    # as types.Timestamp reads a time back
    return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)


def _datetime(value: Any) -> _dt.datetime:
    """A stored time as the aware UTC datetime SQLAlchemy would give."""
    if value.__class__ is str:
        if len(value) == 26 and value[19] == ".":
            # SQLite's stored form, in UTC (parsing the offset is ~8x cheaper than replace())
            return _dt.datetime.fromisoformat(value + "+00:00")
        value = _dt.datetime.fromisoformat(value)
    return _utc(value)


def _time(value: Any) -> Any:
    """A stored time as pydantic writes a datetime field (text here, or a datetime that
    ``to_json`` writes)."""
    if value is None:
        return None
    if value.__class__ is str and len(value) == 26 and value[19] == ".":
        # SQLite's stored form, 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (types.Timestamp)
        if value.endswith(".000000"):
            return f"{value[:10]}T{value[11:19]}Z"
        return f"{value[:10]}T{value[11:]}Z"
    return _datetime(value)


def _iso_time(value: Any) -> str:
    """A stored time as ``datetime.isoformat`` writes it (a state's timestamp)."""
    if value.__class__ is str and len(value) == 26 and value[19] == ".":
        if value.endswith(".000000"):
            return f"{value[:10]}T{value[11:19]}+00:00"
        return f"{value[:10]}T{value[11:]}+00:00"
    return _datetime(value).isoformat()


def _uuid(value: Any) -> Any:
    """A stored id as its canonical text (SQLite keeps ``str(uuid)``; PostgreSQL gives UUIDs,
    which ``to_json`` writes the same way)."""
    if value is None:
        return None
    if value.__class__ is str:
        return value if ids.is_canonical(value) else str(uuid.UUID(value))
    return value


def _json(value: Any) -> Any:
    """A stored JSON value, parsed (PostgreSQL's driver has parsed it already)."""
    if value is None:
        return None
    if value.__class__ is str:
        try:
            return pydantic_core.from_json(value)
        except ValueError:  # what pydantic_core refuses but json accepts (lone surrogates)
            return json.loads(value)
    return value


class _Policies:
    """``empirical_policy`` as its model writes it, by stored text: runs share a few."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.found: dict[Any, Any] = {}

    def __call__(self, value: Any) -> Any:
        key = value if value.__class__ is str else pydantic_core.to_json(value)
        found = self.found.get(key)
        if found is None:
            found = self.model.model_validate(_json(value)).model_dump(mode="json")
            if len(self.found) >= 256:
                self.found.clear()
            self.found[key] = found
        return found


def _state_type(kind: str | None) -> str | None:
    if kind is not None and kind not in _STATE_TYPES:
        raise ValueError(f"{kind!r} is not a state type")
    return kind


def _seconds(value: float | None) -> float:
    # a float of seconds goes through timedelta (microseconds) as the model's field does
    return _dt.timedelta(seconds=value).total_seconds() if value else 0.0


def _state(
    id: Any, kind: str, name: str, timestamp: Any, message: str | None, details: Any, data: Any
) -> dict[str, Any] | None:
    """A run's current state as ``State`` writes it (None without a state)."""
    if id is None:
        return None
    _state_type(kind)
    data = _json(data)
    return {
        "id": str(_uuid(id)),
        "type": kind,
        "name": name or _DEFAULT_STATE_NAMES[kind],
        "timestamp": _iso_time(timestamp),
        "message": message,
        "state_details": stored_details_json(_json(details)),
        # what State.to_record keeps of stored data: a result reference, else null
        "data": data if isinstance(data, dict) and data.get("__praefect_result_ref__") else None,
    }


def _estimated_run_time(total: float | None, kind: str | None, since: Any, now: Any) -> float:
    """``from_row``: the run time so far, counting a running run's current stretch."""
    elapsed = _dt.timedelta(seconds=total or 0.0)
    if kind == "RUNNING" and since is not None:
        elapsed += now - _datetime(since)
    return elapsed.total_seconds()


def _estimated_start_time_delta(expected: Any, start: Any, kind: str | None, now: Any) -> float:
    """``from_row``: how late the run started (or, not started yet, is)."""
    if expected is None:
        return 0.0
    if start is not None:
        return max(_datetime(start) - _datetime(expected), _ZERO).total_seconds()
    if kind in ("SCHEDULED", "PENDING"):
        return max(now - _datetime(expected), _ZERO).total_seconds()
    return 0.0


_flow_run_policy = _Policies(FlowRunPolicy)


# The order of a read_many_raw row, unpacked by _flow_run.
# fmt: off
_FLOW_RUN_KEYS = (
    "id", "created", "updated", "name", "flow_id", "flow_version", "deployment_id",
    "deployment_version", "work_queue_name", "work_queue_id", "idempotency_key",
    "parameters", "job_variables", "parent_task_run_id", "infrastructure_pid", "entrypoint",
    "hostname", "pid", "heartbeat", "auto_scheduled", "state_id", "state_type", "state_name",
    "state_timestamp", "run_count", "expected_start_time", "next_scheduled_start_time",
    "start_time", "end_time", "total_run_time", "empirical_policy", "tags", "labels",
    "state.id", "state.flow_run_id", "state.type", "state.name", "state.timestamp",
    "state.message", "state.state_details", "state.data",
)
# fmt: on
if flow_runs.RAW_KEYS != _FLOW_RUN_KEYS:  # a column was added or moved: update _flow_run
    raise RuntimeError(f"_list_json does not know the flow-run columns {flow_runs.RAW_KEYS}")


def _flow_run(row: Sequence[Any], now: _dt.datetime) -> dict[str, Any]:
    """One run (a ``read_many_raw`` row) as ``FlowRun.from_row(...)`` writes it: its fields,
    in the model's order."""
    # fmt: off
    (
        id, created, updated, name, flow_id, flow_version, deployment_id,
        deployment_version, work_queue_name, work_queue_id, idempotency_key,
        parameters, job_variables, parent_task_run_id, infrastructure_pid, entrypoint,
        hostname, pid, heartbeat, auto_scheduled, state_id, state_type, state_name,
        state_timestamp, run_count, expected_start_time, next_scheduled_start_time,
        start_time, end_time, total_run_time, empirical_policy, tags, labels,
        s_id, _, s_type, s_name, s_timestamp,
        s_message, s_details, s_data,
    ) = row
    # fmt: on
    kind = _state_type(state_type)
    return {
        "id": _uuid(id),
        "created": _time(created),
        "updated": _time(updated),
        "name": name,
        "state_id": _uuid(state_id),
        "state_type": kind,
        "state_name": state_name,
        "state": _state(s_id, s_type, s_name, s_timestamp, s_message, s_details, s_data),
        "tags": _json(tags),
        "labels": _json(labels) or {},
        "run_count": run_count,
        "expected_start_time": _time(expected_start_time),
        "next_scheduled_start_time": _time(next_scheduled_start_time),
        "start_time": _time(start_time),
        "end_time": _time(end_time),
        "total_run_time": _seconds(total_run_time),
        "estimated_run_time": _estimated_run_time(total_run_time, kind, state_timestamp, now),
        "estimated_start_time_delta": _estimated_start_time_delta(
            expected_start_time, start_time, kind, now
        ),
        "flow_id": _uuid(flow_id),
        "flow_version": flow_version,
        "deployment_id": _uuid(deployment_id),
        "deployment_version": deployment_version,
        "work_queue_name": work_queue_name,
        "work_queue_id": _uuid(work_queue_id),
        "work_pool_id": None,
        "work_pool_name": None,
        "idempotency_key": idempotency_key,
        "parameters": _json(parameters),
        "context": {},
        "job_variables": _json(job_variables),
        "empirical_policy": _flow_run_policy(empirical_policy),
        "parent_task_run_id": _uuid(parent_task_run_id),
        "infrastructure_pid": infrastructure_pid,
        "auto_scheduled": bool(auto_scheduled),
        "entrypoint": entrypoint,
        "hostname": hostname,
        "pid": pid,
        "heartbeat": _time(heartbeat),
        "created_by": None,
    }


def flow_runs_json(rows: Iterable[Sequence[Any]], now: _dt.datetime | None = None) -> bytes:
    """The JSON list of ``FlowRun`` of ``orchestration.flow_runs.read_many_raw`` rows: the
    bytes ``TypeAdapter(list[FlowRun]).dump_json([FlowRun.from_row(run) ...])`` gives for the
    same runs read with ``read_many`` (``now``: the time the ``estimated_*`` fields count to)."""
    now = now or now_utc()
    return pydantic_core.to_json([_flow_run(row, now) for row in rows], inf_nan_mode="null")


_task_run_policy = _Policies(TaskRunPolicy)
_TASK_INPUTS = TypeAdapter(dict[str, list[TaskRunInput]])


def _task_inputs(value: Any) -> Any:
    """``task_inputs`` through their model (``TaskRunInput`` fills ``input_type``, writes ids
    canonically): most task runs have none."""
    inputs = _json(value)
    if inputs == {}:
        return {}
    return _TASK_INPUTS.dump_python(_TASK_INPUTS.validate_python(inputs), mode="json")


# fmt: off
_TASK_RUN_KEYS = (
    "id", "created", "updated", "name", "flow_run_id", "task_key", "dynamic_key",
    "task_version", "cache_key", "cache_expiration", "task_inputs", "flow_run_run_count",
    "state_id", "state_type", "state_name", "state_timestamp", "run_count",
    "expected_start_time", "next_scheduled_start_time", "start_time", "end_time",
    "total_run_time", "empirical_policy", "tags",
    "state.id", "state.task_run_id", "state.type", "state.name", "state.timestamp",
    "state.message", "state.state_details", "state.data",
)
# fmt: on
if task_runs.RAW_KEYS != _TASK_RUN_KEYS:  # a column was added or moved: update _task_run
    raise RuntimeError(f"_list_json does not know the task-run columns {task_runs.RAW_KEYS}")


def _task_run(row: Sequence[Any], now: _dt.datetime) -> dict[str, Any]:
    """One task run (a ``read_many_raw`` row) as ``TaskRun.from_row(...)`` writes it: its
    fields, in the model's order."""
    # fmt: off
    (
        id, created, updated, name, flow_run_id, task_key, dynamic_key,
        task_version, cache_key, cache_expiration, task_inputs, flow_run_run_count,
        state_id, state_type, state_name, state_timestamp, run_count,
        expected_start_time, next_scheduled_start_time, start_time, end_time,
        total_run_time, empirical_policy, tags,
        s_id, _, s_type, s_name, s_timestamp,
        s_message, s_details, s_data,
    ) = row
    # fmt: on
    kind = _state_type(state_type)
    return {
        "id": _uuid(id),
        "created": _time(created),
        "updated": _time(updated),
        "name": name,
        "state_id": _uuid(state_id),
        "state_type": kind,
        "state_name": state_name,
        "state": _state(s_id, s_type, s_name, s_timestamp, s_message, s_details, s_data),
        "tags": _json(tags),
        "labels": {},
        "run_count": run_count,
        "expected_start_time": _time(expected_start_time),
        "next_scheduled_start_time": _time(next_scheduled_start_time),
        "start_time": _time(start_time),
        "end_time": _time(end_time),
        "total_run_time": _seconds(total_run_time),
        "estimated_run_time": _estimated_run_time(total_run_time, kind, state_timestamp, now),
        "estimated_start_time_delta": _estimated_start_time_delta(
            expected_start_time, start_time, kind, now
        ),
        "flow_run_id": _uuid(flow_run_id),
        "task_key": task_key,
        "dynamic_key": dynamic_key,
        "cache_key": cache_key,
        "cache_expiration": _time(cache_expiration),
        "task_version": task_version,
        "empirical_policy": _task_run_policy(empirical_policy),
        "task_inputs": _task_inputs(task_inputs),
        "flow_run_run_count": flow_run_run_count,
    }


def task_runs_json(rows: Iterable[Sequence[Any]], now: _dt.datetime | None = None) -> bytes:
    """The JSON list of ``TaskRun`` of ``orchestration.task_runs.read_many_raw`` rows: the
    bytes ``TypeAdapter(list[TaskRun]).dump_json([TaskRun.from_row(run) ...])`` gives for the
    same runs read with ``read_many`` (``now``: the time the ``estimated_*`` fields count to)."""
    now = now or now_utc()
    return pydantic_core.to_json([_task_run(row, now) for row in rows], inf_nan_mode="null")


_LOG_KEYS = ("id", "created", "name", "level", "message", "timestamp", "flow_run_id", "task_run_id")
if logs.RAW_KEYS != _LOG_KEYS:  # a column was added or moved: update logs_json
    raise RuntimeError(f"_list_json does not know the log columns {logs.RAW_KEYS}")


def logs_json(rows: Iterable[Sequence[Any]]) -> bytes:
    """The JSON list of ``Log`` of ``orchestration.logs.read_many_raw`` rows: the bytes
    ``TypeAdapter(list[Log]).dump_json`` gives for the same logs read with ``read_many``."""
    return pydantic_core.to_json(
        [
            {
                "id": _uuid(id),
                "created": _time(created),
                "name": name,
                "level": level,
                "message": message,
                "timestamp": _time(timestamp),
                "flow_run_id": _uuid(flow_run_id),
                "task_run_id": _uuid(task_run_id),
            }
            for id, created, name, level, message, timestamp, flow_run_id, task_run_id in rows
        ],
        inf_nan_mode="null",
    )
