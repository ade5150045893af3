"""Run logs: the batched write path fed by the write-behind queue, and filtered reads."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect.database import bulk, tables, types
from praefect.orchestration import filters as _filters
from praefect.schemas.states import now_utc
from praefect.utilities.ids import uuid7

if TYPE_CHECKING:
    from praefect.schemas.queries import LogQuery

__all__ = ["RAW_KEYS", "read_many", "read_many_raw", "wire_values", "write_batch", "write_wire"]

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
_RAW = _filters.driver_values(_log)
RAW_KEYS = tuple(_log.c.keys())
"""The values of a ``read_many_raw`` row: the log's columns."""


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
    if conn.dialect.name == "sqlite":
        _write_sqlite(conn, rows)
        return
    ts = types.timestamp_converter(conn.dialect.name)
    now = ts(now_utc())
    values: list[tuple[Any, ...]] = []
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
    if conn.dialect.name == "postgresql":
        bulk.unnest_insert(conn, _log, _COLUMNS, values)  # one statement per batch
        return
    compiled = _compiled.get(conn.dialect.name)
    if compiled is None:
        statement = _log.insert().compile(dialect=conn.dialect, column_keys=list(_COLUMNS))
        compiled = _compiled[conn.dialect.name] = (statement.string, bool(statement.positional))
    sql, positional = compiled
    if not positional:
        conn.exec_driver_sql(sql, [dict(zip(_COLUMNS, value, strict=True)) for value in values])
        return
    conn.exec_driver_sql(sql, values)


_SQLITE_VALUES = ("U", "now", "", "", "", "T", "U", "U")
_WIDTH = 7
_sqlite_sql: dict[int, str] = {}


def _sqlite_insert(rows: int) -> str:
    sql = _sqlite_sql.get(rows)
    if sql is None:
        sql = _sqlite_sql[rows] = (
            f"INSERT INTO log ({','.join(_COLUMNS)}) VALUES {bulk.values_sql(_SQLITE_VALUES, rows)}"
        )
    return sql


_TEXT_VALUES = ("", "now", "", "", "", "", "", "")


def _sqlite_text_insert(rows: int) -> str:
    sql = _sqlite_sql.get(-rows)
    if sql is None:
        sql = _sqlite_sql[-rows] = (
            f"INSERT INTO log ({','.join(_COLUMNS)}) VALUES {bulk.values_sql(_TEXT_VALUES, rows)}"
        )
    return sql


def wire_values(items: Sequence[Mapping[str, Any]]) -> list[Any] | None:
    """The values ``write_wire`` binds for ``schemas.actions.LogWireItem`` items (ids and time
    as canonical text): the stored text of each, as ``write_batch`` stores the same lines
    validated by ``LogCreate``; None when a time is no date (the general path answers)."""
    stored = types.sqlite_text_of_utc
    values: list[Any] = []
    extend = values.extend
    try:
        for item in items:
            get = item.get
            extend(
                (
                    get("id") or str(uuid7()),
                    item["name"],
                    item["level"],
                    item["message"],
                    stored(item["timestamp"]),
                    get("flow_run_id"),
                    get("task_run_id"),
                )
            )
    except ValueError:
        return None
    return values


def write_wire(conn: Connection, values: list[Any]) -> None:
    """Insert the log lines of ``wire_values`` (SQLite)."""
    bulk.insert_chunks(conn, _sqlite_text_insert, _WIDTH, values, types._sqlite_text(now_utc()))


def _hex(value: Any) -> str:
    """The 32 hex digits of a UUID given as a UUID or as text."""
    try:
        number = value.int
    except AttributeError:
        number = uuid.UUID(str(value)).int
    return "%032x" % number  # noqa: UP031 (faster than format())


def _write_sqlite(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    # Ids go as hex digits and times as integer microseconds, formatted by SQLite (database.bulk).
    epoch, us = types._EPOCH, types._US
    to_us = types.epoch_us
    values: list[Any] = []
    extend = values.extend
    flow_obj: Any = None
    flow_hex: str | None = None
    for row in rows:
        get = row.get
        log_id = get("id")
        flow_run_id = get("flow_run_id")
        if flow_run_id is not flow_obj:
            flow_obj = flow_run_id
            flow_hex = None if flow_run_id is None else _hex(flow_run_id)
        task_run_id = get("task_run_id")
        stamp = row["timestamp"]
        try:
            stamp = (stamp - epoch) // us
        except TypeError:
            stamp = to_us(stamp)
        try:
            task_hex = None if task_run_id is None else "%032x" % task_run_id.int  # noqa: UP031
        except AttributeError:
            task_hex = _hex(task_run_id)
        try:
            id_hex = "%032x" % (log_id or uuid7()).int  # noqa: UP031
        except AttributeError:
            id_hex = _hex(log_id)
        extend((id_hex, row["name"], row["level"], row["message"], stamp, flow_hex, task_hex))
    bulk.insert_chunks(conn, _sqlite_insert, _WIDTH, values, types._sqlite_text(now_utc()))


def read_many(conn: Connection, query: LogQuery | None = None) -> list[dict[str, Any]]:
    """The log lines of ``query``'s page, oldest first by default (a ``limit`` of None:
    all)."""
    rows = conn.execute(_page(sa.select(_log), query or _filters.ALL)).mappings()
    return [dict(row) for row in rows]


def read_many_raw(conn: Connection, query: LogQuery) -> list[tuple[Any, ...]]:
    """The logs of ``read_many``, each a tuple of the values of ``RAW_KEYS`` as the database
    driver returns them (no Python objects built): for writing lists straight to JSON
    (``praefect.server.api._list_json``)."""
    return [tuple(row) for row in conn.execute(_page(_RAW, query))]


def _page(base: Any, query: LogQuery | _filters.Criteria) -> Any:
    statement = base.where(*_filters.log_clauses(query.logs)).order_by(
        *_filters.log_order(query.sort)
    )
    return statement.limit(query.limit).offset(query.offset or None)
