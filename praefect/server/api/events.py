"""``/api/events``: Prefect's event routes. ``POST /api/events`` stores a batch,
``POST /api/events/filter`` and ``GET /api/events/filter/next`` read pages,
``POST /api/events/count-by/{countable}`` counts, ``ws /api/events/in`` takes a stream of events
and ``ws /api/events/out`` streams the events matching a filter (after a backfill)."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, Request, WebSocket, status
from sqlalchemy.engine import Connection

from praefect import database, orchestration
from praefect.schemas.events import (
    Countable,
    Event,
    EventCount,
    EventFilter,
    EventPage,
    ReceivedEvent,
    TimeUnit,
)
from praefect.server.api import _event_sockets
from praefect.server.api._deps import EngineDep, OffsetBody

__all__ = ["router"]

router = APIRouter(prefix="/events", tags=["Events"])

PAGE_SIZE = 50
"""Events per page of ``/events/filter`` (Prefect's interactive page size, also its most)."""


@router.post("", status_code=status.HTTP_204_NO_CONTENT)
def create_events(
    events: Annotated[list[Event], Body(max_length=100_000)], engine: EngineDep
) -> None:
    """Store a batch of events in one transaction; an event whose id is already stored is
    skipped, so a batch may be sent again safely. A malformed event refuses the whole batch
    with a 422 naming it and its field; nothing is stored."""
    database.write(engine, lambda conn: orchestration.event_intake.ingest(conn, events))


def _page(request: Request, engine: Any, f: EventFilter, limit: int, offset: int) -> EventPage:
    def read(conn: Connection) -> tuple[list[dict[str, Any]], int]:
        rows = orchestration.events.query(conn, f, limit=limit, offset=offset)
        return rows, orchestration.events.count(conn, f)

    rows, total = database.read(engine, read)
    next_page = None
    if offset + len(rows) < total and rows:
        token = {"filter": f.model_dump(mode="json"), "limit": limit, "offset": offset + limit}
        encoded = base64.b64encode(json.dumps(token).encode()).decode()
        next_page = f"{request.base_url}api/events/filter/next?page-token={encoded}"
    events = [ReceivedEvent.model_validate(row) for row in rows]
    return EventPage(events=events, total=total, next_page=next_page)


@router.post("/filter")
def read_events(
    request: Request,
    engine: EngineDep,
    filter: Annotated[EventFilter | None, Body()] = None,
    limit: Annotated[int, Body(ge=0, le=PAGE_SIZE)] = PAGE_SIZE,
    offset: OffsetBody = 0,
) -> EventPage:
    """The first page of events matching ``filter`` (newest first unless ``filter.order`` is
    ``ASC``), how many match in all and the URL of the next page (null on the last).
    ``offset`` (not Prefect's) skips that many first."""
    return _page(request, engine, filter or EventFilter(), limit, offset)


@router.get("/filter/next")
def read_events_next_page(
    request: Request,
    engine: EngineDep,
    page_token: Annotated[str, Query(alias="page-token")],
) -> EventPage:
    """The page a ``next_page`` URL names (403 for a token this server did not make)."""
    try:
        token = json.loads(base64.b64decode(page_token.encode()))
        f = EventFilter.model_validate(token["filter"])
        limit, offset = int(token["limit"]), int(token["offset"])
    except Exception:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "That page token is not valid.") from None
    return _page(request, engine, f, min(limit, PAGE_SIZE), max(offset, 0))


@router.post("/count-by/{countable}")
def count_events(
    countable: Countable,
    engine: EngineDep,
    filter: Annotated[EventFilter, Body()],
    time_unit: Annotated[TimeUnit, Body()] = TimeUnit.day,
    time_interval: Annotated[float, Body(ge=0.01)] = 1.0,
) -> list[EventCount]:
    """How many events match ``filter`` per day, time bucket, event name or resource."""

    def counts(conn: Connection) -> list[dict[str, Any]]:
        return orchestration.event_intake.count_by(
            conn, filter, countable.value, time_unit.value, time_interval
        )

    try:
        rows = database.read(engine, counts)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return [EventCount.model_validate(row) for row in rows]


@router.websocket("/in")
async def stream_events_in(websocket: WebSocket) -> None:
    """Take events as JSON text messages, one event each, storing them in batches; the client's
    task-run state changes (``prefect.task-run.*`` from Prefect's own client) are recorded as
    task runs too. Everything received is stored before the socket closes."""
    await _event_sockets.events_in(websocket)


@router.websocket("/out")
async def stream_events_out(websocket: WebSocket) -> None:
    """After the auth message, a ``{"type": "filter", "filter": ..., "backfill": true}``
    message; then the recent matching events (the backfill) and every new one, as
    ``{"type": "event", "event": ...}`` messages, oldest first."""
    await _event_sockets.events_out(websocket)
