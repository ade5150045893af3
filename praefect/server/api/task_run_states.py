"""``/api/task_run_states``: the state history of a task run."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from praefect import database, exceptions, orchestration
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


@router.get("/{id}")
def read_task_run_state(id: uuid.UUID, engine: EngineDep) -> State:
    """One task run state, by its id."""
    state = database.read(engine, lambda conn: orchestration.task_runs.read_state(conn, id))
    if state is None:
        raise exceptions.ObjectNotFound(f"Task run state {id} not found.", id=id)
    return state
