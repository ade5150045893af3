"""``/api/flow_run_states``: the state history of a flow run."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from praefect import database, exceptions, orchestration
from praefect.schemas.states import State
from praefect.server.api._deps import EngineDep

__all__ = ["router"]

router = APIRouter(prefix="/flow_run_states", tags=["Flow Run States"])


@router.get("/")
def read_flow_run_states(flow_run_id: uuid.UUID, engine: EngineDep) -> list[State]:
    """The states of a flow run, oldest first."""
    return database.read(
        engine, lambda conn: orchestration.flow_runs.read_states(conn, flow_run_id)
    )


@router.get("/{id}")
def read_flow_run_state(id: uuid.UUID, engine: EngineDep) -> State:
    """One flow run state, by its id."""
    state = database.read(engine, lambda conn: orchestration.flow_runs.read_state(conn, id))
    if state is None:
        raise exceptions.ObjectNotFound(f"Flow run state {id} not found.", id=id)
    return state
