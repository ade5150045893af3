"""``/api/events``: write a batch of events, read them back filtered (Prefect's shapes)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, status
from sqlalchemy.engine import Connection

from praefect import database, orchestration
from praefect.schemas.events import Event, EventFilter, EventOrder, EventPage, ReceivedEvent
from praefect.schemas.states import now_utc
from praefect.server.api._deps import EngineDep, OffsetBody

__all__ = ["router"]

router = APIRouter(prefix="/events", tags=["Events"])


@router.post("", status_code=status.HTTP_204_NO_CONTENT)
def create_events(
    events: Annotated[list[Event], Body(max_length=100_000)], engine: EngineDep
) -> None:
    """Store a batch of events in one transaction; an event whose id is already stored is
    skipped, so a batch may be sent again safely."""
    received = now_utc()
    rows = [event.to_row(received) for event in events]
    database.write(
        engine, lambda conn: orchestration.events.write(conn, rows, ignore_existing=True)
    )


@router.post("/filter")
def read_events(
    engine: EngineDep,
    filter: Annotated[EventFilter | None, Body()] = None,
    limit: Annotated[int, Body(ge=0, le=200)] = 50,
    offset: OffsetBody = 0,
) -> EventPage:
    """Events matching ``filter``, newest first unless ``filter.order`` is ``ASC``, with how
    many match in all. ``next_page`` is always null: page with ``offset``."""
    f = filter or EventFilter()
    criteria: dict[str, Any] = {"since": f.occurred.since, "until": f.occurred.until}
    if f.event is not None:
        criteria.update(
            names=f.event.name,
            prefixes=f.event.prefix,
            exclude_names=f.event.exclude_name,
            exclude_prefixes=f.event.exclude_prefix,
        )
    if f.resource is not None:
        criteria.update(resource_ids=f.resource.id, resource_id_prefixes=f.resource.id_prefix)

    def page(conn: Connection) -> tuple[list[dict[str, Any]], int]:
        rows = orchestration.events.query(
            conn,
            newest_first=f.order is EventOrder.DESC,
            limit=limit,
            offset=offset,
            **criteria,
        )
        return rows, orchestration.events.count(conn, **criteria)

    rows, total = database.read(engine, page)
    return EventPage(events=[ReceivedEvent.model_validate(row) for row in rows], total=total)
