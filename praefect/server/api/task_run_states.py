"""``/api/task_run_states``: the state history of a task run."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from praefect import database, orchestration
from praefect.schemas.states import State
from praefect.server.api._deps import EngineDep

__all__ = ["router"]

router = APIRouter(prefix="/task_run_states", tags=["Task Run States"])


@router.get("/")
def read_task_run_states(task_run_id: uuid.UUID, engine: EngineDep) -> list[State]:
    """The states of a task run, oldest first."""
    return database.read(
        engine, lambda conn: orchestration.task_runs.read_states(conn, task_run_id)
    )
