"""Setting a task run's state one at a time, as ``POST /api/task_runs/{id}/set_state`` does.

Task-run transitions are orchestrated client-side (docs/internals/architecture.md), so the
store accepts a proposed task-run state and records it with the run's bookkeeping (run count,
start and end times, run time), through the same batched write path as the client's
write-behind queue.

>>> from praefect import database
>>> from praefect.schemas.states import State
>>> engine = database.get_engine("sqlite:///:memory:")
>>> run_id = uuid.uuid4()
>>> row = {"id": run_id, "name": "t", "task_key": "t"}
>>> database.write(engine, lambda conn: task_runs.write_batch(conn, [(row, State("PENDING"))]))
>>> result = database.write(engine, lambda conn: set_state(conn, run_id, State("RUNNING")))
>>> result.status.value, database.read(engine, lambda conn: task_runs.read(conn, run_id))["run_count"]
('ACCEPT', 1)
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect import exceptions
from praefect.database import tables
from praefect.orchestration import task_runs
from praefect.schemas.responses import OrchestrationResult, SetStateStatus
from praefect.schemas.states import TERMINAL_STATES, State, StateType

__all__ = ["batch_row", "set_state", "write_batch_once"]

_MICROSECOND = _dt.timedelta(microseconds=1)

_ROW_KEYS = (
    "id",
    "name",
    "flow_run_id",
    "task_key",
    "dynamic_key",
    "task_version",
    "tags",
    "task_inputs",
    "empirical_policy",
    "run_count",
    "flow_run_run_count",
    "cache_key",
    "cache_expiration",
    "start_time",
    "end_time",
    "total_run_time",
    "expected_start_time",
    "created",
)


def batch_row(run: Mapping[str, Any]) -> dict[str, Any]:
    """A stored task run (``task_runs.read``) as a row of ``task_runs.write_batch``: its own
    columns, without its state, to be written again with a new one."""
    return {key: run.get(key) for key in _ROW_KEYS}


def set_state(
    conn: Connection, task_run_id: uuid.UUID, state: State, force: bool = False
) -> OrchestrationResult:
    """Record ``state`` as the task run's new state (always ACCEPT: the client orchestrated it;
    ``force`` is accepted for Prefect's signature). Raises ``TaskRunNotFound``."""
    run = task_runs.read(conn, task_run_id)
    if run is None:
        raise exceptions.TaskRunNotFound(
            f"Task run {task_run_id} not found.", task_run_id=task_run_id
        )
    initial: State | None = run.get("state")
    row = batch_row(run)
    kind = state.type
    initial_kind = initial.type if initial is not None else None
    if initial is not None and state.timestamp <= initial.timestamp:
        state = state.copy(timestamp=initial.timestamp + _MICROSECOND)
    if kind is StateType.RUNNING and initial_kind is not StateType.RUNNING:
        row["run_count"] = (row["run_count"] or 0) + 1
        if row["start_time"] is None:
            row["start_time"] = state.timestamp
    if initial_kind is StateType.RUNNING and initial is not None:
        elapsed = (state.timestamp - initial.timestamp).total_seconds()
        row["total_run_time"] = (row["total_run_time"] or 0.0) + max(elapsed, 0.0)
    if kind in TERMINAL_STATES:
        row["end_time"] = state.timestamp
    if row["expected_start_time"] is None:
        row["expected_start_time"] = state.timestamp
    details = state.state_details
    details.setdefault("task_run_id", task_run_id)
    if run.get("flow_run_id") is not None:
        details.setdefault("flow_run_id", run["flow_run_id"])
    task_runs.write_batch(conn, [(row, state)])
    return OrchestrationResult.of(SetStateStatus.ACCEPT, state)


def write_batch_once(
    conn: Connection, items: Sequence[tuple[Mapping[str, Any], State | None]]
) -> int:
    """``task_runs.write_batch`` made safe to repeat: states already stored (a batch sent again
    after its answer was lost) are not written twice. Returns how many states were new."""
    ids = [state.id for _, state in items if state is not None]
    stored: set[uuid.UUID] = set()
    column = tables.task_run_state.c.id
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        stored.update(conn.execute(sa.select(column).where(column.in_(chunk))).scalars())
    if stored:
        if len(stored) == len(ids):
            return 0  # the whole batch was written before
        # the item that wrote a stored state also wrote its row then: skip it whole
        items = [(row, s) for row, s in items if s is None or s.id not in stored]
    task_runs.write_batch(conn, items)
    return len(ids) - len(stored)
