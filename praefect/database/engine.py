"""Engines, one per database URL, and the write-transaction helper.

SQLite is opened in WAL mode with ``synchronous=NORMAL`` and the settings' ``busy_timeout``.
Write transactions start with ``BEGIN IMMEDIATE`` so that two processes never both hold a read
lock and then deadlock upgrading it; ``write()`` also retries a transaction that still meets
"database is locked", so that error never reaches a user.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool

from praefect import settings as _settings
from praefect.database import types

__all__ = ["dispose_all", "dispose_engine", "get_engine", "read", "write"]

T = TypeVar("T")

_engines: dict[str, Engine] = {}
_lock = threading.Lock()
_WRITE = "praefect_write"


def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (default: the current settings' database), migrated to the newest
    schema on first use in this process.

    >>> engine = get_engine("sqlite:///:memory:")
    >>> engine.dialect.name
    'sqlite'
    """
    if url is None:
        url = _settings.get_current_settings().resolved_database_url
    engine = _engines.get(url)
    if engine is not None:
        return engine
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            from praefect.database import migrations

            engine = _create_engine(url)
            try:
                migrations.ensure_current(engine)
            except BaseException:
                engine.dispose()
                raise
            _engines[url] = engine
    return engine


def dispose_engine(url: str) -> None:
    """Close every connection of the engine for ``url`` and forget it."""
    with _lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def dispose_all() -> None:
    """Close and forget every cached engine."""
    with _lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        engine.dispose()


def write(engine: Engine, fn: Callable[[Connection], T]) -> T:
    """Run ``fn(connection)`` in one write transaction and commit; on SQLite's "database is
    locked" the whole transaction is retried with backoff.

    >>> engine = get_engine("sqlite:///:memory:")
    >>> write(engine, lambda conn: conn.exec_driver_sql("SELECT 1").scalar())
    1
    """
    timeout = _settings.get_current_settings().database_timeout
    deadline = time.monotonic() + max(4 * timeout, 60.0)
    delay = 0.01
    while True:
        try:
            with engine.connect() as conn:
                conn.execution_options(**{_WRITE: True})
                with conn.begin():
                    return fn(conn)
        except OperationalError as exc:
            if not _is_lock_error(exc) or time.monotonic() > deadline:
                raise
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 1.0)


def read(engine: Engine, fn: Callable[[Connection], T]) -> T:
    """Run ``fn(connection)`` in a read transaction (never blocks writers on SQLite WAL)."""
    with engine.connect() as conn:
        return fn(conn)


def _is_lock_error(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


def _create_engine(url: str) -> Engine:
    parsed = sa.engine.make_url(url)
    kwargs: dict[str, Any] = {"json_serializer": types.dumps}
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, pool_pre_ping=True, **kwargs)
    database = parsed.database or ""
    memory = database in ("", ":memory:") or "mode=memory" in str(parsed.query)
    timeout = _settings.get_current_settings().database_timeout
    kwargs["connect_args"] = {"check_same_thread": False, "timeout": timeout}
    if memory:
        kwargs["poolclass"] = StaticPool
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["pool_size"] = 8
        kwargs["max_overflow"] = 16
    engine = sa.create_engine(parsed, **kwargs)
    busy_ms = int(timeout * 1000)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # pysqlite's own transaction handling must be off for BEGIN IMMEDIATE to be ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(_WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine
