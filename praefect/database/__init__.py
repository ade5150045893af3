"""Tables, engines and migrations of praefect's database (SQLite or PostgreSQL).

>>> from praefect import database
>>> engine = database.get_engine("sqlite:///:memory:")
>>> database.write(engine, lambda conn: conn.execute(database.tables.flow.select()).all())
[]
"""

from __future__ import annotations

from praefect.database import rows, tables, types
from praefect.database.engine import (
    dispose_all,
    dispose_engine,
    get_engine,
    is_unavailable,
    postgres_url,
    read,
    write,
)

__all__ = [
    "dispose_all",
    "dispose_engine",
    "get_engine",
    "is_unavailable",
    "postgres_url",
    "read",
    "rows",
    "tables",
    "types",
    "write",
]
