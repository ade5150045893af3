"""``/api/logs``: write a batch of run logs, read them back filtered."""

from __future__ import annotations

import functools
from typing import Annotated

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from praefect import database, orchestration
from praefect.schemas.actions import LogCreate, LogWireItem
from praefect.schemas.objects import Log
from praefect.schemas.queries import LogQuery
from praefect.server.api import _list_json
from praefect.server.api._deps import (
    EngineDep,
    page,
    validate_json,
)

__all__ = ["batch_adapter", "router"]

router = APIRouter(prefix="/logs", tags=["Logs"])


@functools.cache
def batch_adapter() -> TypeAdapter[list[LogCreate]]:
    """The validator of a ``POST /logs/`` body (also its OpenAPI schema, see ``app``)."""
    return TypeAdapter(Annotated[list[LogCreate], Field(max_length=100_000)])


@functools.cache
def _wire_adapter() -> TypeAdapter[list[LogWireItem]]:
    return TypeAdapter(
        Annotated[list[LogWireItem], Field(max_length=100_000)],
        config=ConfigDict(cache_strings="keys"),
    )


def _write(body: bytes, engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        # the fast path takes the bodies clients send; any other goes the general way below,
        # which stores the same rows or answers with the 422 naming the item and field
        try:
            values = orchestration.logs.wire_values(_wire_adapter().validate_json(body))
        except ValidationError:
            values = None
        if values is not None:
            database.write(engine, lambda conn: orchestration.logs.write_wire(conn, values))
            return
    _write_validated(body, engine)


def _write_validated(body: bytes, engine: Engine) -> None:
    logs = validate_json(batch_adapter(), body)
    rows = [log.model_dump(exclude_none=True) for log in logs]
    database.write(engine, lambda conn: orchestration.logs.write_batch(conn, rows))


@router.post(
    "/",
    status_code=status.HTTP_201_CREATED,
    response_model=None,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LogBatch"}}},
        }
    },
)
async def create_logs(request: Request, engine: EngineDep) -> JSONResponse:
    """Store a batch of log lines in one transaction."""
    await run_in_threadpool(_write, await request.body(), engine)
    return JSONResponse(None, status_code=status.HTTP_201_CREATED)


@router.post("/filter", response_model=list[Log])
def read_logs(engine: EngineDep, query: LogQuery = LogQuery()) -> Response:
    """Log lines matching the filter, oldest first unless ``sort`` says otherwise."""
    query = page(query)
    rows = database.read(engine, lambda conn: orchestration.logs.read_many_raw(conn, query))
    # written from the database's values, without a Log model per line (see _list_json)
    return Response(_list_json.logs_json(rows), media_type="application/json")
