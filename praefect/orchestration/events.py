"""Events: one row per state change (and later, per anything else worth reacting to).

Event names and resources follow Prefect's shape with our prefix:
``praefect.flow-run.Completed`` about resource ``praefect.flow-run.<id>``.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from praefect.database import rows as _rows
from praefect.database import tables
from praefect.orchestration import event_shape
from praefect.orchestration import filters as _filters
from praefect.schemas.states import State, now_utc

if TYPE_CHECKING:
    from praefect.orchestration.rules import Run

__all__ = ["count", "query", "read_many", "related_resource", "state_change_event", "write"]

_event = tables.event


def _state_summary(state: State | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return event_shape.fill(
        event_shape.STATE, type=state.type.value, name=state.name, message=state.message or ""
    )


def state_change_event(
    kind: str,
    run: Run,
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
    resource_id = event_shape.resource_id(kind, run["id"])
    return {
        "id": uuid.uuid4(),
        "occurred": validated.timestamp,
        "event": event_shape.event_name(kind, validated.name),
        "resource_id": resource_id,
        "resource": event_shape.fill(
            event_shape.RESOURCE,
            resource_id=resource_id,
            run_name=run.get("name"),
            state_type=validated.type.value,
            state_name=validated.name,
        ),
        "related": related,
        "payload": event_shape.fill(
            event_shape.PAYLOAD,
            from_type=initial.type.value if initial is not None else None,
            to_type=validated.type.value,
            initial_state=_state_summary(initial),
            validated_state=_state_summary(validated),
        ),
        "received": now or now_utc(),
        "follows": None,
    }


def related_resource(kind: str, id: object) -> dict[str, str]:
    """A related resource of an event: the ``kind`` (``flow``, ``flow-run``, ``tag``) named
    ``id``, in that role.

    >>> related_resource("tag", "etl")
    {'prefect.resource.id': 'praefect.tag.etl', 'prefect.resource.role': 'tag'}
    """
    return event_shape.fill(event_shape.RELATED, id=event_shape.resource_id(kind, id), role=kind)


def write(conn: Connection, rows: list[dict[str, Any]], ignore_existing: bool = False) -> None:
    """Insert event rows; with ``ignore_existing``, rows whose id is already stored are skipped
    (so a client may send a batch again)."""
    if not rows:
        return
    if ignore_existing:
        from praefect.orchestration import filters

        conn.execute(filters.insert_ignoring_conflicts(conn, _event, ["id"]), rows)
    elif len(rows) == 1:  # a state change's event: the hot path
        _rows.insert(conn, _event, rows[0])
    else:
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


def _clauses(
    names: Sequence[str] | None,
    prefixes: Sequence[str] | None,
    exclude_names: Sequence[str] | None,
    exclude_prefixes: Sequence[str] | None,
    resource_ids: Sequence[str] | None,
    resource_id_prefixes: Sequence[str] | None,
    since: _dt.datetime | None,
    until: _dt.datetime | None,
) -> list[ColumnElement[bool]]:
    c = _event.c
    out: list[ColumnElement[bool]] = []
    if names is not None:
        out.append(_filters.in_values(c.event, names))
    if prefixes is not None:
        out.append(sa.or_(sa.false(), *(c.event.startswith(p, autoescape=True) for p in prefixes)))
    if exclude_names:
        out.append(_filters.in_values(c.event, exclude_names, negate=True))
    for prefix in exclude_prefixes or ():
        out.append(sa.not_(c.event.startswith(prefix, autoescape=True)))
    if resource_ids is not None:
        out.append(_filters.in_values(c.resource_id, resource_ids))
    if resource_id_prefixes is not None:
        starts = (c.resource_id.startswith(p, autoescape=True) for p in resource_id_prefixes)
        out.append(sa.or_(sa.false(), *starts))
    if since is not None:
        out.append(c.occurred >= since)
    if until is not None:
        out.append(c.occurred <= until)
    return out


def query(
    conn: Connection,
    *,
    names: Sequence[str] | None = None,
    prefixes: Sequence[str] | None = None,
    exclude_names: Sequence[str] | None = None,
    exclude_prefixes: Sequence[str] | None = None,
    resource_ids: Sequence[str] | None = None,
    resource_id_prefixes: Sequence[str] | None = None,
    since: _dt.datetime | None = None,
    until: _dt.datetime | None = None,
    newest_first: bool = True,
    limit: int | None = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Events matching every given criterion (a list criterion matches any of its items),
    newest first by default.

    >>> from praefect import database
    >>> engine = database.get_engine("sqlite:///:memory:")
    >>> database.read(engine, lambda conn: query(conn, prefixes=["acme."]))
    []
    """
    clauses = _clauses(
        names,
        prefixes,
        exclude_names,
        exclude_prefixes,
        resource_ids,
        resource_id_prefixes,
        since,
        until,
    )
    order = (
        (_event.c.occurred.desc(), _event.c.id.desc())
        if newest_first
        else (_event.c.occurred, _event.c.id)
    )
    statement = sa.select(_event).where(*clauses).order_by(*order)
    statement = statement.limit(limit).offset(offset or None)
    return [dict(row) for row in conn.execute(statement).mappings()]


def count(
    conn: Connection,
    *,
    names: Sequence[str] | None = None,
    prefixes: Sequence[str] | None = None,
    exclude_names: Sequence[str] | None = None,
    exclude_prefixes: Sequence[str] | None = None,
    resource_ids: Sequence[str] | None = None,
    resource_id_prefixes: Sequence[str] | None = None,
    since: _dt.datetime | None = None,
    until: _dt.datetime | None = None,
) -> int:
    """How many events ``query`` would find without a limit."""
    clauses = _clauses(
        names,
        prefixes,
        exclude_names,
        exclude_prefixes,
        resource_ids,
        resource_id_prefixes,
        since,
        until,
    )
    statement = sa.select(sa.func.count()).select_from(_event).where(*clauses)
    return conn.execute(statement).scalar_one()
