"""Flows: the named functions runs belong to.

>>> from praefect import database
>>> engine = database.get_engine("sqlite:///:memory:")
>>> flow_id = database.write(engine, lambda conn: ensure(conn, "etl"))
>>> database.read(engine, lambda conn: read(conn, flow_id))["name"]
'etl'
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect.database import rows as _rows
from praefect.database import tables
from praefect.orchestration import filters as _filters
from praefect.orchestration import flow_runs
from praefect.schemas.states import now_utc

if TYPE_CHECKING:
    from praefect.schemas.queries import FlowCriteria, FlowQuery

__all__ = [
    "count",
    "delete",
    "delete_matching",
    "ensure",
    "exists",
    "read",
    "read_by_name",
    "read_many",
    "update",
]

_flow = tables.flow


def ensure(conn: Connection, name: str, tags: list[str] | None = None) -> uuid.UUID:
    """The id of the flow called ``name``, created if it does not exist yet (idempotent, also
    against a concurrent process creating the same flow)."""
    existing = conn.execute(sa.select(_flow.c.id).where(_flow.c.name == name)).scalar()
    if existing is not None:
        return existing
    now = now_utc()
    values = {"id": uuid.uuid4(), "name": name, "tags": tags or [], "created": now, "updated": now}
    insert = _filters.insert_ignoring_conflicts(conn, _flow, ["name"])
    conn.execute(insert, values)
    return conn.execute(sa.select(_flow.c.id).where(_flow.c.name == name)).scalar_one()


def exists(conn: Connection, flow_id: uuid.UUID) -> bool:
    """Whether the flow with this id exists."""
    return _rows.exists(conn, _flow, flow_id)


def read(conn: Connection, flow_id: uuid.UUID) -> dict[str, Any] | None:
    """The flow with this id as a dict, or None."""
    row = conn.execute(sa.select(_flow).where(_flow.c.id == flow_id)).mappings().first()
    return dict(row) if row is not None else None


def read_by_name(conn: Connection, name: str) -> dict[str, Any] | None:
    """The flow called ``name`` as a dict, or None."""
    row = conn.execute(sa.select(_flow).where(_flow.c.name == name)).mappings().first()
    return dict(row) if row is not None else None


def read_many(conn: Connection, query: FlowQuery | None = None) -> list[dict[str, Any]]:
    """The flows of ``query``'s page, by name unless its ``sort`` says otherwise (a ``limit``
    of None: all)."""
    page = query or _filters.ALL
    statement = sa.select(_flow).order_by(*_filters.flow_order(page.sort))
    statement = statement.where(*_filters.flow_clauses(page))
    statement = statement.limit(page.limit).offset(page.offset or None)
    return [dict(row) for row in conn.execute(statement).mappings()]


def count(conn: Connection, criteria: FlowCriteria | None = None) -> int:
    """How many flows match the criteria."""
    query = sa.select(sa.func.count()).select_from(_flow)
    clauses = _filters.flow_clauses(criteria or _filters.ALL)
    return conn.execute(query.where(*clauses)).scalar_one()


def update(conn: Connection, flow_id: uuid.UUID, tags: list[str]) -> bool:
    """Replace a flow's tags; return whether the flow exists."""
    statement = _flow.update().where(_flow.c.id == flow_id)
    return conn.execute(statement.values(tags=tags, updated=now_utc())).rowcount > 0


def delete(conn: Connection, flow_id: uuid.UUID) -> bool:
    """Delete a flow with all its runs (their states, task runs and logs); return whether the
    flow existed."""
    flow_runs.delete_where(conn, tables.flow_run.c.flow_id == flow_id)
    return conn.execute(_flow.delete().where(_flow.c.id == flow_id)).rowcount > 0


def delete_matching(conn: Connection, flow_filter: Any, limit: int) -> list[uuid.UUID]:
    """Delete at most ``limit`` flows matching ``flow_filter`` (by name), as ``delete`` does;
    return their ids."""
    clauses = _filters.flow_clauses(_filters.Criteria(flows=flow_filter))
    query = sa.select(_flow.c.id).where(*clauses).order_by(_flow.c.name).limit(limit)
    ids = list(conn.execute(query).scalars())
    for flow_id in ids:
        delete(conn, flow_id)
    return ids
