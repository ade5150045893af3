"""Events: one row per state change (and later, per anything else worth reacting to).

Event names and resources follow Prefect's shape with our prefix:
``praefect.flow-run.Completed`` about resource ``praefect.flow-run.<id>``.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect.database import tables
from praefect.schemas.states import State, now_utc

__all__ = ["read_many", "state_change_event", "write"]

_event = tables.event


def _state_summary(state: State | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {"type": state.type.value, "name": state.name, "message": state.message or ""}


def state_change_event(
    kind: str,
    run: Mapping[str, Any],
    initial: State | None,
    validated: State,
    related: list[dict[str, str]],
    now: _dt.datetime | None = None,
) -> dict[str, Any]:
    """The event row recording that run ``run`` (``kind`` is ``"flow-run"`` or ``"task-run"``)
    entered ``validated`` from ``initial``.

    >>> from praefect.schemas.states import State
    >>> row = state_change_event("flow-run", {"id": "r1", "name": "x"}, None, State("RUNNING"), [])
    >>> row["event"], row["resource"]["prefect.resource.id"]
    ('praefect.flow-run.Running', 'praefect.flow-run.r1')
    """
    resource_id = f"praefect.{kind}.{run['id']}"
    return {
        "id": uuid.uuid4(),
        "occurred": validated.timestamp,
        "event": f"praefect.{kind}.{validated.name}",
        "resource_id": resource_id,
        "resource": {
            "prefect.resource.id": resource_id,
            "prefect.resource.name": run.get("name"),
            "praefect.state-type": validated.type.value,
            "praefect.state-name": validated.name,
        },
        "related": related,
        "payload": {
            "intended": {
                "from": initial.type.value if initial is not None else None,
                "to": validated.type.value,
            },
            "initial_state": _state_summary(initial),
            "validated_state": _state_summary(validated),
        },
        "received": now or now_utc(),
        "follows": None,
    }


def write(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert event rows."""
    if rows:
        conn.execute(_event.insert(), rows)


def read_many(
    conn: Connection,
    event_prefix: str | None = None,
    resource_id: str | None = None,
    limit: int | None = 200,
) -> list[dict[str, Any]]:
    """Events, oldest first, optionally those whose name starts with ``event_prefix`` or that
    are about ``resource_id``."""
    query = sa.select(_event).order_by(_event.c.occurred, _event.c.id).limit(limit)
    if event_prefix:
        query = query.where(_event.c.event.startswith(event_prefix, autoescape=True))
    if resource_id:
        query = query.where(_event.c.resource_id == resource_id)
    return [dict(row) for row in conn.execute(query).mappings()]
