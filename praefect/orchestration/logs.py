"""Run logs: the batched write path fed by the write-behind queue, and filtered reads."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect.database import tables, types
from praefect.orchestration import filters as _filters
from praefect.schemas.states import now_utc

__all__ = ["read_many", "write_batch"]

_log = tables.log
_COLUMNS = (
    "id",
    "created",
    "name",
    "level",
    "message",
    "timestamp",
    "flow_run_id",
    "task_run_id",
)
_compiled: dict[str, tuple[str, bool]] = {}


def write_batch(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert log rows (keys ``name, level, message, timestamp, flow_run_id, task_run_id``, and
    optionally ``id``).

    >>> import logging
    >>> from praefect import database
    >>> engine = database.get_engine("sqlite:///:memory:")
    >>> row = {"name": "x", "level": logging.INFO, "message": "hi", "timestamp": now_utc()}
    >>> database.write(engine, lambda conn: write_batch(conn, [row]))
    >>> [r["message"] for r in database.read(engine, read_many)]
    ['hi']
    """
    ts = types.timestamp_converter(conn.dialect.name)
    now = ts(now_utc())
    values = []
    for row in rows:
        get = row.get
        flow_run_id = get("flow_run_id")
        task_run_id = get("task_run_id")
        values.append(
            (
                str(get("id") or uuid.uuid4()),
                now,
                row["name"],
                row["level"],
                row["message"],
                ts(row["timestamp"]),
                None if flow_run_id is None else str(flow_run_id),
                None if task_run_id is None else str(task_run_id),
            )
        )
    if not values:
        return
    compiled = _compiled.get(conn.dialect.name)
    if compiled is None:
        statement = _log.insert().compile(dialect=conn.dialect, column_keys=list(_COLUMNS))
        compiled = _compiled[conn.dialect.name] = (statement.string, bool(statement.positional))
    sql, positional = compiled
    if not positional:
        values = [dict(zip(_COLUMNS, value, strict=True)) for value in values]
    conn.exec_driver_sql(sql, values)


def read_many(
    conn: Connection,
    log_filter: Any = None,
    limit: int | None = None,
    offset: int = 0,
    sort: Any = None,
) -> list[dict[str, Any]]:
    """Logs matching ``log_filter``, oldest first by default."""
    query = sa.select(_log).where(*_filters.log_clauses(log_filter))
    query = query.order_by(*_filters.log_order(sort)).limit(limit).offset(offset or None)
    return [dict(row) for row in conn.execute(query).mappings()]
