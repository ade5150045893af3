"""``/api/task_runs``: create, read, filter, count, set a state, and the batch route the
client's write-behind queue uses."""

from __future__ import annotations

import functools
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool

from praefect import database, exceptions, orchestration
from praefect.orchestration import task_run_batches, task_states
from praefect.schemas.actions import (
    StateCreate,
    TaskRunBatchItem,
    TaskRunBatchWireItem,
    TaskRunCreate,
    TaskRunUpdate,
)
from praefect.schemas.objects import PaginationResponse, TaskRun
from praefect.schemas.queries import TaskRunCriteria, TaskRunPage, TaskRunQuery
from praefect.schemas.states import State, StateType
from praefect.server.api import _list_json
from praefect.server.api._deps import (
    EngineDep,
    page,
    paginated,
    validate_json,
)

__all__ = ["MAX_BATCH", "batch_adapter", "router"]

router = APIRouter(prefix="/task_runs", tags=["Task Runs"])


def _not_found(task_run_id: uuid.UUID) -> exceptions.TaskRunNotFound:
    return exceptions.TaskRunNotFound(f"Task run {task_run_id} not found.", task_run_id=task_run_id)


def _with_ids(state: State, row: dict[str, Any]) -> State:
    details = state.state_details
    details.setdefault("task_run_id", row["id"])
    if row.get("flow_run_id") is not None:
        details.setdefault("flow_run_id", row["flow_run_id"])
    return state


@router.post("/", status_code=status.HTTP_201_CREATED)
def create_task_run(task_run: TaskRunCreate, engine: EngineDep) -> TaskRun:
    """Create a task run (state Pending unless given); sending the same ``id`` again updates
    it. A Scheduled run outside any flow run is a background run (``Task.delay()``), for a task
    worker to claim."""
    row = task_run.to_row(task_run.id or uuid.uuid4())
    first = task_run.state.to_state() if task_run.state is not None else State(StateType.PENDING)
    state = _with_ids(first, row)

    def create(conn: Connection) -> dict[str, Any] | None:
        if state.type is StateType.SCHEDULED and row.get("flow_run_id") is None:
            return orchestration.task_workers.schedule(conn, row, state)
        orchestration.task_runs.write_batch(conn, [(row, state)])
        return orchestration.task_runs.read(conn, row["id"])

    created = database.write(engine, create)
    if created is None:
        raise ValueError(
            f"Task run {row['id']} was not recorded: attempt {row['flow_run_run_count']} of flow "
            f"run {row['flow_run_id']} was replaced by a newer attempt before this state."
        )
    return TaskRun.from_row(created)


MAX_BATCH = 100_000
"""The most items ``POST /task_runs/batch`` takes in one request."""


@functools.cache
def batch_adapter() -> TypeAdapter[list[TaskRunBatchItem]]:
    """The validator of a batch body (also its OpenAPI schema, see ``app``)."""
    return TypeAdapter(Annotated[list[TaskRunBatchItem], Field(max_length=MAX_BATCH)])


@functools.cache
def _wire_adapter() -> TypeAdapter[list[TaskRunBatchWireItem]]:
    # only keys repeat from item to item: caching the values (ids, times) too costs ~15%
    return TypeAdapter(
        Annotated[list[TaskRunBatchWireItem], Field(max_length=MAX_BATCH)],
        config=ConfigDict(cache_strings="keys"),
    )


def _write_batch(body: bytes, engine: Engine) -> int:
    if engine.dialect.name == "sqlite":
        # the fast path takes the bodies clients send; any other goes the general way below,
        # which stores the same rows or answers with the 422 naming the item and field
        try:
            prepared = task_run_batches.prepare(_wire_adapter().validate_json(body))
        except ValidationError:
            prepared = None
        if prepared is not None:
            database.write(engine, lambda conn: task_run_batches.write(conn, prepared))
            return len(prepared)
    return _write_batch_validated(body, engine)


def _write_batch_validated(body: bytes, engine: Engine) -> int:
    items = validate_json(batch_adapter(), body)
    own_rows = [item.row.to_row(item.row.id) if item.row is not None else None for item in items]
    last_rows = {row["id"]: row for row in own_rows if row is not None}
    batch = []
    for index, (item, own_row) in enumerate(zip(items, own_rows, strict=True)):
        row = own_row if own_row is not None else last_rows.get(item.task_run_id)
        if row is None:
            raise RequestValidationError(
                [
                    {
                        "type": "missing",
                        "loc": ("body", index, "row"),
                        "msg": f"no item of task run {item.task_run_id} in this batch has its row",
                        "input": None,
                    }
                ]
            )
        state = _with_ids(item.state.to_state(), row) if item.state is not None else None
        batch.append((row, state))
    database.write(engine, lambda conn: task_states.write_batch_once(conn, batch))
    return len(batch)


@router.post(
    "/batch",
    status_code=status.HTTP_201_CREATED,
    response_model=dict[str, int],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/TaskRunBatch"}}
            },
        }
    },
)
async def write_task_runs(request: Request, engine: EngineDep) -> JSONResponse:
    """Record a batch of task-run rows and new states in one transaction (the client's
    write-behind queue). Items are applied in order; the last row of a task run wins; a state
    already stored is skipped, so a batch may be sent again. Answers after the commit:
    ``{"accepted": <items>}``."""
    body = await request.body()
    accepted = await run_in_threadpool(_write_batch, body, engine)
    return JSONResponse({"accepted": accepted}, status_code=status.HTTP_201_CREATED)


@router.get("/{id}")
def read_task_run(id: uuid.UUID, engine: EngineDep) -> TaskRun:
    """The task run with this id, with its current state."""
    run = database.read(engine, lambda conn: orchestration.task_runs.read(conn, id))
    if run is None:
        raise _not_found(id)
    return TaskRun.from_row(run)


@router.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def update_task_run(id: uuid.UUID, task_run: TaskRunUpdate, engine: EngineDep) -> None:
    """Rename the task run."""
    if not database.write(
        engine, lambda conn: orchestration.task_runs.rename(conn, id, task_run.name)
    ):
        raise _not_found(id)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_task_run(id: uuid.UUID, engine: EngineDep) -> None:
    """Delete the task run with its states."""
    if not database.write(engine, lambda conn: orchestration.task_runs.delete(conn, id)):
        raise _not_found(id)


@router.post("/filter", response_model=list[TaskRun])
def read_task_runs(engine: EngineDep, query: TaskRunQuery = TaskRunQuery()) -> Response:
    """Task runs matching the filters, newest first unless ``sort`` says otherwise."""
    query = page(query)
    runs = database.read(engine, lambda conn: orchestration.task_runs.read_many_raw(conn, query))
    # written from the database's values, without a TaskRun model per run (see _list_json)
    return Response(_list_json.task_runs_json(runs), media_type="application/json")


@router.post("/count")
def count_task_runs(engine: EngineDep, criteria: TaskRunCriteria = TaskRunCriteria()) -> int:
    """How many task runs match the filters."""
    return database.read(engine, lambda conn: orchestration.task_runs.count(conn, criteria))


@router.post("/{id}/set_state", response_class=JSONResponse)
def set_task_run_state(
    id: uuid.UUID,
    engine: EngineDep,
    state: Annotated[StateCreate, Body()],
    force: Annotated[bool, Body()] = False,
) -> JSONResponse:
    """Record a task run's new state. Task-run transitions are orchestrated by the client, so
    the answer is ACCEPT with the state as recorded."""
    proposed = state.to_state()
    result = database.write(engine, lambda conn: task_states.set_state(conn, id, proposed, force))
    return JSONResponse(jsonable_encoder(result.model_dump()))


@router.post("/paginate")
def paginate_task_runs(
    engine: EngineDep, query: TaskRunPage = TaskRunPage()
) -> PaginationResponse[TaskRun]:
    """Page ``page`` of the task runs matching the filters, with how many match in all."""
    runs = orchestration.task_runs
    return paginated(engine, query, runs.read_many, runs.count, TaskRun.from_row)
