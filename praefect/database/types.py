"""Column types that store the same Python values on SQLite and PostgreSQL.

Ids are ``uuid.UUID`` in Python and 36-character strings in the database; times are aware UTC
``datetime`` in Python. On SQLite a time is stored as fixed-width text
(``YYYY-MM-DD HH:MM:SS.ffffff``, UTC) so that text order is time order; on PostgreSQL it is a
``timestamptz``. The ``*_to_db`` helpers give the raw driver value of each, for the write-behind
writer which bypasses SQLAlchemy's per-row type processing.
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["JSON", "UUID", "Timestamp", "dumps", "timestamp_converter"]

_UTC = _dt.UTC

dumps: Callable[[Any], str] = json.JSONEncoder(default=str, separators=(",", ":")).encode
"""Compact JSON text; values JSON does not know (UUIDs, datetimes) are written with ``str``."""


def _sqlite_text(value: _dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None and value.tzinfo is not _UTC:
        value = value.astimezone(_UTC)
    return value.isoformat(" ", "microseconds")[:26]


def _identity(value: Any) -> Any:
    return value


def timestamp_converter(dialect_name: str) -> Callable[[_dt.datetime | None], Any]:
    """The function turning an aware datetime into the raw driver value for ``dialect_name``.

    >>> timestamp_converter("sqlite")(_dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=_UTC))
    '2024-01-02 03:04:05.000000'
    """
    return _sqlite_text if dialect_name == "sqlite" else _identity


class UUID(TypeDecorator[uuid.UUID]):
    """A UUID stored as its 36-character text."""

    impl = sa.String(36)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> uuid.UUID | None:
        return None if value is None else uuid.UUID(value)


class Timestamp(TypeDecorator[_dt.datetime]):
    """An aware UTC datetime: sortable text on SQLite, ``timestamptz`` elsewhere."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(26))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = _dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=_UTC)
        if dialect.name == "sqlite":
            return _sqlite_text(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> _dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = _dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=_UTC)
        return value.astimezone(_UTC)


JSON = sa.JSON
"""Portable JSON column (text on SQLite, ``json`` on PostgreSQL)."""
