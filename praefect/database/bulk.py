"""Multi-row INSERTs for the write-behind path on SQLite, and array INSERTs on PostgreSQL.

The driver's per-row overhead in ``executemany`` costs more than binding the values, and a
writer thread gives up the GIL (and must win it back) once per statement. So rows go in INSERTs
of ``CHUNK`` rows each. Values may be handed over raw and formatted by SQLite: a UUID as its 32
hex digits (``"%032x" % value.int``) and a time as integer microseconds
(``types.epoch_us``), both several times cheaper in Python than the stored text.

>>> import sqlite3
>>> conn = sqlite3.connect(":memory:")
>>> _ = conn.execute("CREATE TABLE t (id TEXT, at TEXT, n INT, made TEXT)")
>>> sql = "INSERT INTO t VALUES " + values_sql(("U", "T", "", "now"), 2)
>>> hex_id = "%032x" % 1
>>> _ = conn.execute(sql, ("2024-01-01 00:00:00.000000", hex_id, 1, 5, None, None, 6))
>>> conn.execute("SELECT * FROM t").fetchall()  # doctest: +NORMALIZE_WHITESPACE
[('00000000-0000-0000-0000-000000000001', '1970-01-01 00:00:00.000001', 5,
  '2024-01-01 00:00:00.000000'), (None, None, 6, '2024-01-01 00:00:00.000000')]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect.database import types

__all__ = ["CHUNK", "insert_chunks", "unnest_insert", "unnest_insert_sql", "values_sql"]

CHUNK = 32
"""Rows per INSERT statement (at most 32 x 22 parameters: within SQLite's oldest limit, 999)."""


def values_sql(kinds: tuple[str, ...], rows: int) -> str:
    """``(...),(...)`` for ``rows`` rows of columns of ``kinds``, with numbered parameters; ``?1``
    is shared by all rows. Kinds: ``""`` the parameter as is, ``"!"`` the same or ``?1`` if NULL,
    ``"U"`` UUID hex digits, ``"T"`` epoch microseconds, ``"T!"`` the same or ``?1`` if NULL,
    ``"now"`` ``?1``, ``"null"`` NULL."""
    out = []
    n = 2
    for _ in range(rows):
        values = []
        for kind in kinds:
            if kind == "now":
                values.append("?1")
                continue
            if kind == "null":
                values.append("NULL")
                continue
            param = f"?{n}"
            n += 1
            if kind == "U":
                values.append(types.sqlite_uuid_sql(param))
            elif kind == "T":
                values.append(types.sqlite_timestamp_sql(param))
            elif kind == "T!":
                values.append(f"coalesce({types.sqlite_timestamp_sql(param)},?1)")
            elif kind == "!":
                values.append(f"coalesce({param},?1)")
            else:
                values.append(param)
        out.append("(" + ",".join(values) + ")")
    return ",".join(out)


def insert_chunks(
    conn: Connection, sql_for: Callable[[int], str], width: int, flat: list[Any], first: Any
) -> None:
    """Insert the rows of ``flat`` (``width`` values each, one after the other) with
    ``sql_for(rows)``, whose ``?1`` is ``first``: ``CHUNK`` rows a statement, then the remaining
    rows one a statement."""
    if not flat:
        return
    step = CHUNK * width
    full = len(flat) // step * step
    if full:
        conn.exec_driver_sql(
            sql_for(CHUNK), [(first, *flat[i : i + step]) for i in range(0, full, step)]
        )
    if full < len(flat):
        conn.exec_driver_sql(
            sql_for(1), [(first, *flat[i : i + width]) for i in range(full, len(flat), width)]
        )


# -- PostgreSQL: one INSERT ... SELECT FROM unnest(arrays) per batch ------------------------------
#
# ``executemany`` costs a round trip's worth of work per row even pipelined; sending each column
# as one array and letting PostgreSQL ``unnest`` them inserts thousands of rows in one statement
# (several times faster). Values are the raw driver values: UUIDs as text or ``uuid.UUID``,
# aware datetimes, JSON as its text; each array is cast to its column's type.

_unnest_sql: dict[tuple[str, tuple[str, ...], str], str] = {}


def unnest_insert_sql(
    conn: Connection, table: sa.Table, columns: tuple[str, ...], suffix: str
) -> str:
    """``INSERT INTO table (columns) SELECT * FROM unnest(%s::type[], ...) suffix`` for
    PostgreSQL (``suffix``: e.g. an ``ON CONFLICT`` clause), cached."""
    key = (table.name, columns, suffix)
    sql = _unnest_sql.get(key)
    if sql is None:
        dialect = conn.dialect
        arrays = ", ".join(
            f"%b::{table.c[name].type.compile(dialect=dialect)}[]" for name in columns
        )
        quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in columns)
        sql = _unnest_sql[key] = (
            f"INSERT INTO {dialect.identifier_preparer.quote(table.name)} ({quoted}) "
            f"SELECT * FROM unnest({arrays}) {suffix}"
        )
    return sql


def unnest_insert(
    conn: Connection,
    table: sa.Table,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    suffix: str = "",
) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table`` in one PostgreSQL
    statement."""
    if not rows:
        return
    sql = unnest_insert_sql(conn, table, columns, suffix)
    conn.exec_driver_sql(sql, tuple(list(column) for column in zip(*rows, strict=True)))
