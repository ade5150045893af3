"""The event pages of the web UI: the feed (newest first, filtered by name prefix and by
resource, refreshed every few seconds) and one event with its resource, related resources and
payload. Run pages show the events about their run with the ``events_panel`` of
``_events.html``, read by ``about``."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.engine import Connection

from praefect import database, orchestration
from praefect.ui import pages, templating

__all__ = ["PAGE", "about", "router"]

router = APIRouter(include_in_schema=False)

PAGE = 50
"""Events per page of the feed."""


def _filter(prefix: str, resource: str) -> Any:
    from praefect.schemas.events import EventAnyResourceFilter, EventFilter, EventNameFilter

    return EventFilter(
        event=EventNameFilter(prefix=[prefix]) if prefix else None,
        any_resource=EventAnyResourceFilter(id_prefix=[resource]) if resource else None,
    )


def about(conn: Connection, resource_id: str, limit: int = PAGE) -> list[dict[str, Any]]:
    """The newest events about ``resource_id`` or naming it as a related resource."""
    from praefect.schemas.events import EventAnyResourceFilter, EventFilter

    criteria = EventFilter(any_resource=EventAnyResourceFilter(id=[resource_id]))
    return orchestration.events.query(conn, criteria, limit=limit)


@router.get("/events")
def events_page(request: Request) -> Response:
    """The event feed: ``?prefix=`` keeps the events whose name starts with it, ``?resource=``
    those about a resource (or related to one) whose id starts with it, ``?page=`` pages."""
    prefix = request.query_params.get("prefix", "").strip()
    resource = request.query_params.get("resource", "").strip()
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    criteria = _filter(prefix, resource)

    def read(conn: Connection) -> tuple[list[dict[str, Any]], int]:
        rows = orchestration.events.query(conn, criteria, limit=PAGE, offset=(page - 1) * PAGE)
        return rows, orchestration.events.count(conn, criteria)

    rows, total = database.read(pages._engine(request), read)
    context = {
        "events": rows,
        "total": total,
        "prefix": prefix,
        "resource": resource,
        "page": page,
        "pages": max(1, -(-total // PAGE)),
    }
    name = "_events_feed.html" if pages._is_fragment(request) else "events.html"
    return templating.render(request, name, context)


@router.get("/events/event/{event_id}")
def event_page(request: Request, event_id: str) -> Response:
    """One event: its name and times, its resource's labels, its related resources (linked to
    their pages) and its payload."""
    from praefect.schemas.events import EventFilter, EventIDFilter

    parsed = pages._parse_uuid(event_id)

    def read(conn: Connection) -> dict[str, Any] | None:
        if parsed is None:
            return None
        criteria = EventFilter(id=EventIDFilter(id=[uuid.UUID(str(parsed))]))
        found = orchestration.events.query(conn, criteria, limit=1)
        return found[0] if found else None

    event = database.read(pages._engine(request), read)
    if event is None:
        return pages.not_found(request, f"No event with id {event_id!r}.")
    return templating.render(request, "event.html", {"event": event})
