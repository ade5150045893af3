"""Column types that store the same Python values on SQLite and PostgreSQL.

Ids are ``uuid.UUID`` in Python: 36-character strings on SQLite, native ``uuid`` on PostgreSQL.
Times are aware UTC ``datetime`` in Python. On SQLite a time is stored as fixed-width text
(``YYYY-MM-DD HH:MM:SS.ffffff``, UTC) so that text order is time order; on PostgreSQL it is a
``timestamptz``. JSON is text on SQLite and ``jsonb`` on PostgreSQL (the raw driver value of
either is the JSON text: PostgreSQL casts it). The ``*_to_db`` helpers give the raw driver value of each, for the write-behind
writer which bypasses SQLAlchemy's per-row type processing.
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from collections.abc import Callable
from typing import Any, overload

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

__all__ = [
    "JSON",
    "UUID",
    "Timestamp",
    "dumps",
    "epoch_us",
    "newest_first",
    "not_null",
    "sqlite_timestamp_sql",
    "sqlite_uuid_sql",
    "timestamp_converter",
]

_UTC = _dt.UTC

dumps: Callable[[Any], str] = json.JSONEncoder(default=str, separators=(",", ":")).encode
"""Compact JSON text; values JSON does not know (UUIDs, datetimes) are written with ``str``."""


@overload
def _sqlite_text(value: _dt.datetime) -> str: ...


@overload
def _sqlite_text(value: None) -> None: ...


@overload
def _sqlite_text(value: _dt.datetime | None) -> str | None: ...


def _sqlite_text(value: _dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None and value.tzinfo is not _UTC:
        value = value.astimezone(_UTC)
    return value.isoformat(" ", "microseconds")[:26]


def _identity(value: object) -> Any:
    return value


def timestamp_converter(dialect_name: str) -> Callable[[_dt.datetime | None], Any]:
    """The function turning an aware datetime into the raw driver value for ``dialect_name``.

    >>> timestamp_converter("sqlite")(_dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=_UTC))
    '2024-01-02 03:04:05.000000'
    """
    return _sqlite_text if dialect_name == "sqlite" else _identity


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_UTC)
_US = _dt.timedelta(microseconds=1)


def epoch_us(value: _dt.datetime) -> int:
    """Microseconds since the Unix epoch (a naive datetime counts as UTC); with
    ``sqlite_timestamp_sql`` it gives the stored text of ``value`` several times faster than
    formatting it in Python (``datetime.isoformat`` of an aware time is slow).

    >>> epoch_us(_dt.datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=_UTC))
    1000005
    """
    try:
        return (value - _EPOCH) // _US
    except TypeError:
        return (value.replace(tzinfo=_UTC) - _EPOCH) // _US


def sqlite_text_of_utc(text: str) -> str:
    """The stored text (``YYYY-MM-DD HH:MM:SS.ffffff``) of a time written
    ``YYYY-MM-DDTHH:MM:SS[.ffffff]`` in UTC (``Z``, ``+00:00`` or no zone; the shape
    ``schemas.actions`` lets through); ``ValueError`` if it is no date.

    >>> sqlite_text_of_utc("2030-01-02T03:04:05Z"), sqlite_text_of_utc("2030-01-02T03:04:05.000006")
    ('2030-01-02 03:04:05.000000', '2030-01-02 03:04:05.000006')
    """
    _dt.datetime.fromisoformat(text)  # a date, or ValueError
    if len(text) > 19 and text[19] == ".":
        return text[:10] + " " + text[11:26]
    return text[:10] + " " + text[11:19] + ".000000"


def sqlite_timestamp_sql(param: str) -> str:
    """SQLite expression turning the ``epoch_us`` integer in ``param`` (e.g. ``"?3"``) into the
    stored text ``YYYY-MM-DD HH:MM:SS.ffffff`` (NULL stays NULL).

    >>> import sqlite3
    >>> sql = "SELECT " + sqlite_timestamp_sql("?1")
    >>> value = _dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=_UTC)
    >>> sqlite3.connect(":memory:").execute(sql, (epoch_us(value),)).fetchone()[0]
    '1969-12-31 23:59:59.999999'
    """
    micro = f"(({param}%1000000)+1000000)%1000000"
    # datetime() is cheaper than strftime(); the floor keeps times before 1970 right
    return f"datetime(({param}-{micro})/1000000,'unixepoch')||'.'||substr(1000000+{micro},2)"


def sqlite_uuid_sql(param: str) -> str:
    """SQLite expression turning the 32 hex digits of a UUID (``'%032x' % uuid.int``, several
    times cheaper than ``str(uuid)``) in ``param`` into its stored 36-character text.

    >>> import sqlite3
    >>> value = uuid.UUID("01234567-89ab-cdef-0123-456789abcdef")
    >>> sql = "SELECT " + sqlite_uuid_sql("?1")
    >>> sqlite3.connect(":memory:").execute(sql, ("%032x" % value.int,)).fetchone()[0]
    '01234567-89ab-cdef-0123-456789abcdef'
    """
    return (
        f"substr({param},1,8)||'-'||substr({param},9,4)||'-'||substr({param},13,4)"
        f"||'-'||substr({param},17,4)||'-'||substr({param},21)"
    )


class UUID(TypeDecorator[uuid.UUID]):
    """A UUID: its 36-character text on SQLite, a native ``uuid`` on PostgreSQL."""

    impl = sa.String(36)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import UUID as _PgUUID

            return dialect.type_descriptor(_PgUUID(as_uuid=True))
        return dialect.type_descriptor(sa.String(36))

    def process_bind_param(self, value: object, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql" and value.__class__ is uuid.UUID:
            return value
        return str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> uuid.UUID | None:
        if value is None or value.__class__ is uuid.UUID:
            return value
        return uuid.UUID(str(value))


class Timestamp(TypeDecorator[_dt.datetime]):
    """An aware UTC datetime: sortable text on SQLite, ``timestamptz`` elsewhere."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(26))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: _dt.datetime | str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = _dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=_UTC)
        if dialect.name == "sqlite":
            return _sqlite_text(value)
        return value

    def process_result_value(
        self, value: _dt.datetime | str | None, dialect: Dialect
    ) -> _dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = _dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=_UTC)
        return value.astimezone(_UTC)


class _PortableJSON(sa.types.TypeDecorator[Any]):
    """JSON stored as text on SQLite and as ``jsonb`` on PostgreSQL. The PostgreSQL type is
    looked up only when a PostgreSQL dialect asks (importing that dialect costs a fresh SQLite
    process ~0.1 s)."""

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.JSON())


def JSON() -> sa.types.TypeEngine[Any]:
    """Portable JSON column: text on SQLite, ``jsonb`` on PostgreSQL."""
    return _PortableJSON()


class _IndexKey(ColumnElement[Any]):
    """A column of an index with a sort order that depends on the dialect."""

    inherit_cache = True

    def __init__(self, name: str, default: str, postgresql: str) -> None:
        self.name = name
        self.default = default
        self.postgresql = postgresql


@compiles(_IndexKey)
def _compile_index_key(element: _IndexKey, compiler: Any, **kw: Any) -> str:
    return f"{element.name} {element.default}".strip()


@compiles(_IndexKey, "postgresql")
def _compile_index_key_pg(element: _IndexKey, compiler: Any, **kw: Any) -> str:
    return f"{element.name} {element.postgresql}".strip()


def newest_first(column: str) -> tuple[_IndexKey, _IndexKey]:
    """The keys of an index serving ``ORDER BY column DESC NULLS LAST, id DESC`` (the newest
    first lists of ``filters``): ``(column DESC, id)`` on SQLite, and exactly that order on
    PostgreSQL, whose planner only walks an index whose NULLS placement matches.

    >>> from sqlalchemy.dialects import postgresql, sqlite
    >>> table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("at", sa.Integer))
    >>> index = sa.Index("ix", *newest_first("at"), _table=table)
    >>> str(sa.schema.CreateIndex(index).compile(dialect=sqlite.dialect()))
    'CREATE INDEX ix ON t (at DESC, id)'
    >>> str(sa.schema.CreateIndex(index).compile(dialect=postgresql.dialect()))
    'CREATE INDEX ix ON t (at DESC NULLS LAST, id DESC)'
    """
    return (
        _IndexKey(column, "DESC", "DESC NULLS LAST"),
        _IndexKey("id", "", "DESC"),
    )


def not_null(column: str) -> dict[str, Any]:
    """The keyword arguments of ``sa.Index`` making it partial: only rows whose ``column`` is not
    NULL are in it (on SQLite and PostgreSQL; both planners use it for ``column = ...`` and
    ``column IN (...)``, which imply it).

    >>> from sqlalchemy.dialects import postgresql, sqlite
    >>> table = sa.Table("t", sa.MetaData(), sa.Column("parent", sa.String))
    >>> index = sa.Index("ix", "parent", _table=table, **not_null("parent"))
    >>> str(sa.schema.CreateIndex(index).compile(dialect=sqlite.dialect()))
    'CREATE INDEX ix ON t (parent) WHERE parent IS NOT NULL'
    """
    where = sa.text(f"{column} IS NOT NULL")
    return {"sqlite_where": where, "postgresql_where": where}
