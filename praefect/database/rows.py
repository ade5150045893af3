"""``insert(conn, table, values)``: one row inserted without SQLAlchemy's per-statement work;
``exists(conn, table, id)``: whether a row with that primary key is there, the same way.

The server's hot paths (a flow-run create is three INSERTs: the run, its first state and the
event) spend more time in SQLAlchemy's execution of a Core ``table.insert()`` (cache lookup,
execution context, a bind processor per column, result set-up: ~40-80 µs a statement) than in
SQLite itself (~10 µs). On SQLite ``insert`` renders the INSERT once per table and column list,
turns each value into its stored form with the column type's own bind processor (so the stored
values are exactly those of the Core statement) and runs it on the connection's DBAPI cursor,
in the caller's transaction. Other databases get the Core statement: their round trip costs
more than SQLAlchemy does.

>>> import datetime as _dt
>>> import uuid
>>> from praefect import database
>>> engine = database.get_engine("sqlite:///:memory:")
>>> flow = database.tables.flow
>>> def demo(conn):
...     insert(conn, flow, {"id": uuid.UUID(int=1), "name": "etl", "tags": ["a"],
...                         "created": _dt.datetime(2024, 1, 1, tzinfo=_dt.UTC),
...                         "updated": _dt.datetime(2024, 1, 1, tzinfo=_dt.UTC)})
...     return conn.execute(flow.select()).mappings().one()["tags"]
>>> database.write(engine, demo)
['a']
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

__all__ = ["exists", "insert"]

_Plan = tuple[str, tuple[str, ...], tuple[Callable[[Any], Any] | None, ...]]
_plans: dict[tuple[sa.Table, tuple[str, ...], bool], _Plan] = {}  # SQLite's only


def _plan(dialect: Dialect, table: sa.Table, columns: tuple[str, ...], if_absent: bool) -> _Plan:
    key = (table, columns, if_absent)
    plan = _plans.get(key)
    if plan is None:
        quote = dialect.identifier_preparer.quote
        unknown = [name for name in columns if name not in table.c]
        if unknown:
            raise ValueError(
                f"Table {table.name!r} has no column(s) {unknown}; "
                f"its columns are: {', '.join(table.c.keys())}."
            )
        sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})"
        )
        if if_absent:
            sql += " ON CONFLICT DO NOTHING"
        processors = tuple(
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
        )
        plan = _plans[key] = (sql, columns, processors)
    return plan


def insert(
    conn: Connection, table: sa.Table, values: Mapping[str, Any], *, if_absent: bool = False
) -> bool:
    """Insert one row of ``table`` with ``values`` (column name to Python value; columns left
    out get their server default), in ``conn``'s transaction; return whether it was inserted.

    With ``if_absent``, a row that would break a unique constraint (its primary key or any
    unique index) is not inserted and False is returned, instead of an ``IntegrityError``."""
    if conn.dialect.name != "sqlite":
        if if_absent:
            return (
                conn.execute(_insert_if_absent(conn.dialect.name, table), dict(values)).first()
                is not None
            )
        conn.execute(table.insert(), dict(values))
        return True
    sql, columns, processors = _plan(conn.dialect, table, tuple(values), if_absent)
    params = [
        value if process is None else process(value)
        for value, process in zip(values.values(), processors, strict=True)
    ]
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return cursor.rowcount != 0
    except conn.dialect.loaded_dbapi.Error as exc:
        # As SQLAlchemy raises it, so callers see one kind of error (write() retries a
        # locked database; the API answers 409 to an IntegrityError).
        raise sa.exc.DBAPIError.instance(sql, params, exc, conn.dialect.loaded_dbapi.Error) from exc
    finally:
        cursor.close()


@functools.cache
def _insert_if_absent(dialect: str, table: sa.Table) -> Any:
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT. The dialect
    # module is imported here: a SQLite process never loads PostgreSQL's (~0.1 s, a few MiB).
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table).on_conflict_do_nothing().returning(*table.primary_key)
    raise NotImplementedError(f"no conflict-ignoring INSERT for the {dialect!r} dialect")


_exists_sql: dict[sa.Table, tuple[str, Callable[[Any], Any] | None]] = {}  # SQLite's only


def exists(conn: Connection, table: sa.Table, id: uuid.UUID | str) -> bool:
    """Whether ``table`` (keyed by its ``id`` column) has a row with this ``id``, in ``conn``'s
    transaction."""
    if conn.dialect.name != "sqlite":
        query = sa.select(sa.literal(1)).select_from(table).where(table.c.id == id).limit(1)
        return conn.execute(query).first() is not None
    plan = _exists_sql.get(table)
    if plan is None:
        quote = conn.dialect.identifier_preparer.quote
        sql = f"SELECT 1 FROM {quote(table.name)} WHERE {quote('id')} = ? LIMIT 1"
        process: Callable[[Any], Any] | None = table.c.id.type.dialect_impl(
            conn.dialect
        ).bind_processor(conn.dialect)
        plan = _exists_sql[table] = (sql, process)
    sql, process = plan
    params = (id if process is None else process(id),)
    try:
        found = conn.connection.dbapi_connection.execute(sql, params).fetchone()  # type: ignore[union-attr]
    except conn.dialect.loaded_dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, params, exc, conn.dialect.loaded_dbapi.Error) from exc
    return found is not None
