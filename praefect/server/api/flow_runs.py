"""``/api/flow_runs``: create, read, filter, count, update, delete, set a state through the
orchestration rules, and the task graph."""

from __future__ import annotations

import csv
import functools
import io
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.engine import Connection

from praefect import database, exceptions, orchestration
from praefect.schemas import filters
from praefect.schemas.actions import FlowRunBulkSetState, FlowRunCreate, FlowRunUpdate, StateCreate
from praefect.schemas.graph import DependencyResult
from praefect.schemas.objects import BulkDeleteResponse, FlowRun, PaginationResponse
from praefect.schemas.queries import (
    FlowRunBulkDelete,
    FlowRunCriteria,
    FlowRunPage,
    FlowRunQuery,
    LogQuery,
    TaskRunQuery,
)
from praefect.schemas.responses import OrchestrationResult
from praefect.schemas.sorting import TaskRunSort
from praefect.server.api import _list_json
from praefect.server.api._deps import EngineDep, json_response, page, paginated
from praefect.server.api._writes import write

__all__ = ["router"]

router = APIRouter(prefix="/flow_runs", tags=["Flow Runs"])


def _not_found(flow_run_id: uuid.UUID) -> exceptions.FlowRunNotFound:
    return exceptions.FlowRunNotFound(f"Flow run {flow_run_id} not found.", flow_run_id=flow_run_id)


@router.post("/", status_code=status.HTTP_201_CREATED, response_model=FlowRun)
async def create_flow_run(flow_run: FlowRunCreate, engine: EngineDep) -> Response:
    """Create a flow run (state Pending unless given). Creating it again, with the same ``id``
    or the same flow and ``idempotency_key``, returns the existing run (200)."""
    row = flow_run.to_row()
    run, created = await write(
        engine, lambda conn: orchestration.flow_runs.create_or_read(conn, row)
    )
    return json_response(FlowRun.from_row(run), 201 if created else 200)


@router.get("/{id}", response_model=FlowRun)
def read_flow_run(id: uuid.UUID, engine: EngineDep) -> Response:
    """The flow run with this id, with its current state."""
    run = database.read(engine, lambda conn: orchestration.flow_runs.read(conn, id))
    if run is None:
        raise _not_found(id)
    return json_response(FlowRun.from_row(run))


@router.post("/filter", response_model=list[FlowRun])
def read_flow_runs(engine: EngineDep, query: FlowRunQuery = FlowRunQuery()) -> Response:
    """Flow runs matching the filters, newest first unless ``sort`` says otherwise."""
    query = page(query)
    runs = database.read(engine, lambda conn: orchestration.flow_runs.read_many_raw(conn, query))
    # written from the database's values, without a FlowRun model per run (see _list_json)
    return Response(_list_json.flow_runs_json(runs), media_type="application/json")


@router.post("/paginate")
def paginate_flow_runs(
    engine: EngineDep, query: FlowRunPage = FlowRunPage()
) -> PaginationResponse[FlowRun]:
    """Page ``page`` of the flow runs matching the filters, with how many match in all."""
    runs = orchestration.flow_runs
    return paginated(engine, query, runs.read_many, runs.count, FlowRun.from_row)


@router.post("/bulk_delete")
def bulk_delete_flow_runs(
    engine: EngineDep, query: FlowRunBulkDelete = FlowRunBulkDelete()
) -> BulkDeleteResponse:
    """Delete at most ``limit`` (50) flow runs matching the filter, oldest first."""
    deleted = database.write(
        engine,
        lambda conn: orchestration.flow_runs.delete_matching(conn, query.flow_runs, query.limit),
    )
    return BulkDeleteResponse(deleted=deleted)


@router.post("/bulk_set_state", response_class=JSONResponse)
async def bulk_set_flow_run_state(body: FlowRunBulkSetState, engine: EngineDep) -> JSONResponse:
    """Propose a state for at most ``limit`` (50) flow runs matching the filter, oldest first;
    answers each run's ``{flow_run_id, status, state, details}``."""
    proposed = body.state.to_state()
    answers = await write(
        engine,
        lambda conn: orchestration.flow_runs.set_state_matching(
            conn, body.flow_runs, proposed, body.force, body.limit
        ),
    )
    results = [{"flow_run_id": run_id, **result.model_dump()} for run_id, result in answers]
    return JSONResponse(jsonable_encoder({"results": results}))


@router.post("/count")
def count_flow_runs(engine: EngineDep, criteria: FlowRunCriteria = FlowRunCriteria()) -> int:
    """How many flow runs match the filters."""
    return database.read(engine, lambda conn: orchestration.flow_runs.count(conn, criteria))


@router.post(
    "/{id}/set_state",
    response_class=JSONResponse,
    responses={200: {"description": "ACCEPT, REJECT, ABORT or WAIT, with the state now current"}},
)
async def set_flow_run_state(
    id: uuid.UUID,
    engine: EngineDep,
    state: Annotated[StateCreate, Body()],
    force: Annotated[bool, Body()] = False,
) -> JSONResponse:
    """Propose a state; the orchestration rules answer ``{status, state, details}`` (Prefect's
    OrchestrationResult). ``force`` skips the rules but the minimal ones."""
    proposed = state.to_state()
    result: OrchestrationResult = await write(
        engine, lambda conn: orchestration.flow_runs.set_state(conn, id, proposed, force)
    )
    return JSONResponse(jsonable_encoder(result.model_dump()))


@router.get("/{id}/graph")
def read_flow_run_graph(id: uuid.UUID, engine: EngineDep) -> list[DependencyResult]:
    """The flow run's task runs, each with the task runs it depends on (from ``task_inputs``)."""

    def graph(conn: Connection) -> list[dict[str, Any]]:
        if orchestration.flow_runs.read(conn, id) is None:
            raise _not_found(id)
        of_run = filters.TaskRunFilter(flow_run_id=filters.TaskRunFilterFlowRunId(any_=[id]))
        query = TaskRunQuery(task_runs=of_run, sort=TaskRunSort.EXPECTED_START_TIME_ASC)
        return orchestration.task_runs.read_many(conn, query)

    return [DependencyResult.from_row(row) for row in database.read(engine, graph)]


@router.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def update_flow_run(id: uuid.UUID, flow_run: FlowRunUpdate, engine: EngineDep) -> None:
    """Change the fields sent (states change only through ``set_state``)."""
    fields = flow_run.model_dump(exclude_unset=True, exclude={"empirical_policy", "attempt"})
    if "empirical_policy" in flow_run.model_fields_set and flow_run.empirical_policy is not None:
        fields["empirical_policy"] = flow_run.empirical_policy.model_dump(exclude_none=True)
    if not fields:
        if database.read(engine, lambda conn: orchestration.flow_runs.read(conn, id)) is None:
            raise _not_found(id)
        return
    attempt = flow_run.attempt
    database.write(engine, lambda conn: orchestration.flow_runs.update(conn, id, attempt, **fields))


_DOWNLOAD_PAGE = 1000


@router.get("/{id}/logs/download", response_class=StreamingResponse)
def download_flow_run_logs(id: uuid.UUID, engine: EngineDep) -> StreamingResponse:
    """The flow run's log lines as a CSV file (``timestamp, level, flow_run_id, task_run_id,
    message``), oldest first, read a page at a time."""
    run = database.read(engine, lambda conn: orchestration.flow_runs.read(conn, id))
    if run is None:
        raise _not_found(id)
    of_run = filters.LogFilter(flow_run_id=filters.LogFilterFlowRunId(any_=[id]))

    def lines() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["timestamp", "level", "flow_run_id", "task_run_id", "message"])
        offset = 0
        while True:
            query = LogQuery(logs=of_run, limit=_DOWNLOAD_PAGE, offset=offset)
            rows = database.read(
                engine, functools.partial(orchestration.logs.read_many, query=query)
            )
            for row in rows:
                writer.writerow(
                    [row["timestamp"], row["level"], id, row["task_run_id"], row["message"]]
                )
            yield out.getvalue()
            out.seek(0)
            out.truncate(0)
            if len(rows) < _DOWNLOAD_PAGE:
                return
            offset += _DOWNLOAD_PAGE

    filename = urllib.parse.quote(f"{run['name']}-logs.csv", safe="")
    disposition = f"attachment; filename=\"flow-run-logs.csv\"; filename*=UTF-8''{filename}"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )


@router.patch("/{id}/labels", status_code=status.HTTP_204_NO_CONTENT)
async def update_flow_run_labels(
    id: uuid.UUID, labels: Annotated[dict[str, Any], Body()], engine: EngineDep
) -> None:
    """Set these labels on the flow run, keeping its others."""
    await write(engine, lambda conn: orchestration.flow_runs.update_labels(conn, id, labels))


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_flow_run(id: uuid.UUID, engine: EngineDep) -> None:
    """Delete a flow run with its states, task runs and logs."""
    if not database.write(engine, lambda conn: orchestration.flow_runs.delete(conn, id)):
        raise _not_found(id)
