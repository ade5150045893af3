"""``/api/flow_runs/{id}/resume`` and ``/api/flow_runs/{id}/input``: resuming a paused flow
run with the input it waits for, and the inputs saved for a run (create, filter by key
prefix, read by key, delete), with Prefect 3's paths and bodies."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy.engine import Connection

from praefect import database, exceptions, orchestration
from praefect.schemas.actions import FlowRunInputCreate
from praefect.schemas.objects import FlowRunInput
from praefect.schemas.queries import FlowRunInputQuery
from praefect.schemas.responses import OrchestrationResult
from praefect.server.api._deps import EngineDep

__all__ = ["router"]

router = APIRouter(prefix="/flow_runs", tags=["Flow Runs"])


def _input_not_found(flow_run_id: uuid.UUID, key: str) -> exceptions.ObjectNotFound:
    return exceptions.ObjectNotFound(f"Flow run {flow_run_id} has no input with key {key!r}.")


@router.post(
    "/{id}/resume",
    response_class=JSONResponse,
    responses={
        409: {"description": "The run is not paused; the body names its state."},
        422: {"description": "The input does not fit the schema the run asked for."},
    },
)
def resume_flow_run(
    id: uuid.UUID,
    engine: EngineDep,
    run_input: Annotated[dict | None, Body(embed=True)] = None,  # type: ignore[type-arg]
) -> JSONResponse:
    """Resume a paused flow run: Running again (a paused run's process goes on), or
    Scheduled ``Resuming`` for a suspended run (a worker runs it again). ``run_input`` is
    checked against the schema the run saved (422 naming the field; the run stays paused). A
    run that is not paused is a 409 naming its state. Answers Prefect's OrchestrationResult
    (201 when a new state was written)."""
    result: OrchestrationResult = database.write(
        engine, lambda conn: orchestration.pauses.resume(conn, id, run_input)
    )
    code = 201 if result.status.value == "ACCEPT" else 200
    return JSONResponse(jsonable_encoder(result.model_dump()), status_code=code)


@router.post("/{id}/input", status_code=status.HTTP_201_CREATED)
def create_flow_run_input(
    id: uuid.UUID, flow_run_input: FlowRunInputCreate, engine: EngineDep
) -> None:
    """Save an input for a flow run (409 when the run already has one with this key)."""
    body = flow_run_input

    def create(conn: Connection) -> None:
        if orchestration.flow_runs.read(conn, id) is None:
            raise exceptions.FlowRunNotFound(f"Flow run {id} not found.", flow_run_id=id)
        orchestration.flow_run_inputs.create(conn, id, body.key, body.value, body.sender)

    database.write(engine, create)


@router.post("/{id}/input/filter", response_model=list[FlowRunInput])
def filter_flow_run_input(
    id: uuid.UUID, engine: EngineDep, query: FlowRunInputQuery
) -> list[FlowRunInput]:
    """The run's inputs whose key starts with ``prefix`` (``exclude_keys`` left out), oldest
    first, at most ``limit`` (default 1, at most 200)."""
    rows = database.read(
        engine,
        lambda conn: orchestration.flow_run_inputs.filter_by_prefix(
            conn, id, query.prefix, query.limit, query.exclude_keys
        ),
    )
    return [FlowRunInput.model_validate(row) for row in rows]


@router.get("/{id}/input/{key}", response_class=PlainTextResponse)
def read_flow_run_input(id: uuid.UUID, key: str, engine: EngineDep) -> PlainTextResponse:
    """The value of the run's input with this key, as the JSON text it was saved as."""
    row = database.read(engine, lambda conn: orchestration.flow_run_inputs.read(conn, id, key))
    if row is None:
        raise _input_not_found(id, key)
    return PlainTextResponse(row["value"])


@router.delete("/{id}/input/{key}", status_code=status.HTTP_204_NO_CONTENT)
def delete_flow_run_input(id: uuid.UUID, key: str, engine: EngineDep) -> Response:
    """Delete the run's input with this key."""
    if not database.write(engine, lambda conn: orchestration.flow_run_inputs.delete(conn, id, key)):
        raise _input_not_found(id, key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
