"""The task graph of a flow run (Prefect's ``DependencyResult``, one per task run).

>>> row = {"id": uuid.UUID(int=2), "name": "b", "task_inputs": {"x": [{"input_type": "task_run",
...        "id": uuid.UUID(int=1)}]}, "state": None}
>>> [str(d.id) for d in DependencyResult.from_row(row).upstream_dependencies]
['00000000-0000-0000-0000-000000000001']
"""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Any

from pydantic import BaseModel, Field, field_serializer

from praefect.schemas.objects import TaskRunInput
from praefect.schemas.states import State

__all__ = ["DependencyResult"]


class DependencyResult(BaseModel):
    """A task run and the task runs its inputs came from."""

    model_config = {"arbitrary_types_allowed": True}

    id: uuid.UUID
    name: str
    upstream_dependencies: list[TaskRunInput] = Field(default_factory=list)
    state: State | None = None
    expected_start_time: _dt.datetime | None = None
    start_time: _dt.datetime | None = None
    end_time: _dt.datetime | None = None
    total_run_time: _dt.timedelta | None = None
    estimated_run_time: _dt.timedelta | None = None
    untrackable_result: bool = False

    @field_serializer("total_run_time", "estimated_run_time", when_used="json")
    def _seconds(self, value: _dt.timedelta | None) -> float | None:
        return None if value is None else value.total_seconds()

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> DependencyResult:
        """Build from a task-run row: upstream task runs from ``task_inputs``, each once."""
        seen: dict[Any, dict[str, Any]] = {}
        for inputs in (row.get("task_inputs") or {}).values():
            for item in inputs or ():
                if item.get("input_type", "task_run") == "task_run" and item.get("id"):
                    seen.setdefault(str(item["id"]), {"input_type": "task_run", "id": item["id"]})
        total = _dt.timedelta(seconds=row.get("total_run_time") or 0.0)
        state = row.get("state")
        return cls(
            id=row["id"],
            name=row["name"],
            upstream_dependencies=list(seen.values()),
            state=state,
            expected_start_time=row.get("expected_start_time"),
            start_time=row.get("start_time"),
            end_time=row.get("end_time"),
            total_run_time=total,
            estimated_run_time=total,
            untrackable_result=bool(state is not None and state.state_details.untrackable_result),
        )
