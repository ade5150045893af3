"""``/api/logs``: write a batch of run logs, read them back filtered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, status

from praefect import database, orchestration
from praefect.schemas import filters, sorting
from praefect.schemas.actions import LogCreate
from praefect.schemas.objects import Log
from praefect.server.api._deps import DEFAULT_LIMIT, EngineDep, LimitBody, OffsetBody

__all__ = ["router"]

router = APIRouter(prefix="/logs", tags=["Logs"])


@router.post("/", status_code=status.HTTP_201_CREATED)
def create_logs(
    logs: Annotated[list[LogCreate], Body(max_length=100_000)], engine: EngineDep
) -> None:
    """Store a batch of log lines in one transaction."""
    rows = [log.model_dump(exclude_none=True) for log in logs]
    database.write(engine, lambda conn: orchestration.logs.write_batch(conn, rows))


@router.post("/filter")
def read_logs(
    engine: EngineDep,
    logs: Annotated[filters.LogFilter | None, Body()] = None,
    sort: Annotated[sorting.LogSort, Body()] = sorting.LogSort.TIMESTAMP_ASC,
    limit: LimitBody = DEFAULT_LIMIT,
    offset: OffsetBody = 0,
) -> list[Log]:
    """Log lines matching the filter, oldest first unless ``sort`` says otherwise."""
    rows = database.read(
        engine,
        lambda conn: orchestration.logs.read_many(
            conn, logs, limit=limit, offset=offset, sort=sort
        ),
    )
    return [Log.model_validate(row) for row in rows]
