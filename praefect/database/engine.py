"""Engines, one per database URL, and the write-transaction helper.

SQLite is opened in WAL mode with ``synchronous=NORMAL`` and the settings' ``busy_timeout``.
Write transactions start with ``BEGIN IMMEDIATE`` so that two processes never both hold a read
lock and then deadlock upgrading it; ``write()`` also retries a transaction that still meets
"database is locked", so that error never reaches a user.

PostgreSQL is reached through psycopg 3 (``pip install 'praefect[postgres]'``): the URLs
``postgresql://``, ``postgresql+psycopg://`` and Prefect's ``postgresql+asyncpg://`` all use it
(praefect's engine is synchronous). ``write()`` retries a transaction that met a deadlock or a
serialization failure. A database that cannot be reached (connection refused or lost, a
server shutting down) raises ``exceptions.DatabaseUnavailable`` from ``write()`` and ``read()``:
nothing was written, and the caller may try again (the API answers 503). Both dialects size
their connection pool from the settings (``database_pool_size``, ``database_max_overflow``,
``database_pool_timeout``, ``database_pool_recycle``).
"""

from __future__ import annotations

import os
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

from praefect import exceptions
from praefect import settings as _settings
from praefect.database import migrations, types

__all__ = [
    "WAL_AUTOCHECKPOINT_PAGES",
    "dispose_all",
    "dispose_engine",
    "get_engine",
    "is_unavailable",
    "postgres_url",
    "read",
    "write",
]

T = TypeVar("T")

_engines: dict[str, Engine] = {}
_lock = threading.Lock()
_WRITE_LOCK = "_praefect_write_lock"
_WRITE = "praefect_write"
WAL_AUTOCHECKPOINT_PAGES = 10_000
"""WAL pages after which a SQLite commit checkpoints (SQLite's default: 1,000)."""


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
            engine = _create_engine(url)
            try:
                if not migrations.is_current(engine):
                    write(engine, migrations.migrate)
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


def _forget_pools_in_child() -> None:
    """After ``fork``: the child must not use the parent's pooled connections (their sockets
    are shared with the parent); each engine starts a new pool, leaving the parent's alone."""
    global _lock
    _lock = threading.Lock()
    for engine in list(_engines.values()):
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools_in_child)


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
    turn: Any = getattr(engine, _WRITE_LOCK, None)
    while True:
        try:
            if turn is None:
                with engine.connect() as conn:
                    conn.execution_options(**{_WRITE: True})
                    with conn.begin():
                        return fn(conn)
            with turn, engine.connect() as conn:
                conn.execution_options(**{_WRITE: True})
                with conn.begin():
                    return fn(conn)
        except OperationalError as exc:
            if not _is_lock_error(exc) or time.monotonic() > deadline:
                _raise_unavailable(exc, engine)
                raise
        except sa.exc.DBAPIError as exc:
            _raise_unavailable(exc, engine)
            raise
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 1.0)


def read(engine: Engine, fn: Callable[[Connection], T]) -> T:
    """Run ``fn(connection)`` in a read transaction (never blocks writers on SQLite WAL)."""
    try:
        with engine.connect() as conn:
            return fn(conn)
    except sa.exc.DBAPIError as exc:
        _raise_unavailable(exc, engine)
        raise


# connection exceptions (08), shutting down / starting up (57P01-57P03), too many connections
# or out of disk (53300, 53100, 53400), a deadlock or serialization failure left after retries
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53100", "53300", "53400"})


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (raised by SQLAlchemy) says the database cannot be reached now, as
    opposed to a statement it refused: the same work may succeed when tried again later.

    >>> is_unavailable(ValueError("no"))
    False
    """
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    state = getattr(orig, "sqlstate", None)
    if state:
        return (
            state.startswith("08")
            or state in _UNAVAILABLE_SQLSTATES
            or state in _RETRYABLE_SQLSTATES
        )
    if type(orig).__module__.startswith("psycopg"):
        return _connection_lost(orig)
    if isinstance(exc, OperationalError):
        text = str(orig).lower()
        return any(word in text for word in ("locked", "busy", "unable to open", "disk i/o"))
    return False


# what libpq says when it cannot reach the server or lost it (errors that carry no SQLSTATE)
_LOST_CONNECTION = (
    "connection refused",
    "could not connect",
    "connection failed",
    "server closed the connection",
    "connection is closed",
    "connection is lost",
    "connection is bad",
    "could not receive data",
    "could not send data",
    "no connection to the server",
    "timeout expired",
    "connection timed out",
    "could not translate host name",
    "ssl connection has been closed",
    "terminating connection",
)


def _connection_lost(orig: BaseException | None) -> bool:
    """Whether a psycopg error without SQLSTATE says the connection failed or was lost (its
    connection is bad, or libpq says so), as opposed to a statement psycopg refused itself (a
    query with more than 65,535 parameters, a value it cannot adapt): that one is no outage,
    and trying it again will not help."""
    pgconn = getattr(orig, "pgconn", None)
    if pgconn is not None and getattr(pgconn, "status", 0) == _CONNECTION_BAD:
        return True
    text = str(orig).lower()
    return any(marker in text for marker in _LOST_CONNECTION)


_CONNECTION_BAD = 1
"""libpq's ``CONNECTION_BAD`` (``psycopg.pq.ConnStatus.BAD``)."""


def _raise_unavailable(exc: sa.exc.DBAPIError, engine: Engine) -> None:
    if is_unavailable(exc):
        problem = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise exceptions.DatabaseUnavailable(
            f"The database ({engine.url.render_as_string(hide_password=True)}) cannot be"
            f" reached: {problem}. Nothing was written; try again shortly."
        ) from exc


_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock


def _is_lock_error(exc: OperationalError) -> bool:
    if getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


def _pool_kwargs(current: _settings.Settings) -> dict[str, Any]:
    return {
        "pool_size": current.database_pool_size,
        "max_overflow": current.database_max_overflow,
        "pool_timeout": current.database_pool_timeout,
        "pool_recycle": current.database_pool_recycle,
    }


def postgres_url(url: str | sa.engine.URL) -> sa.engine.URL:
    """The psycopg 3 URL for a PostgreSQL URL of any driver (others are returned parsed).

    >>> postgres_url("postgresql+asyncpg://u@db:5432/x").render_as_string()
    'postgresql+psycopg://u@db:5432/x'
    """
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername != "postgresql+psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _create_engine(url: str) -> Engine:
    parsed = sa.engine.make_url(url)
    current = _settings.get_current_settings()
    timeout = current.database_timeout
    kwargs: dict[str, Any] = {"json_serializer": types.dumps}
    if parsed.get_backend_name() == "postgresql":
        from praefect.database import tables

        tables.add_postgresql_options()
        parsed = postgres_url(parsed)
        if "connect_timeout" not in parsed.query:
            kwargs["connect_args"] = {"connect_timeout": max(1, int(timeout))}
        return sa.create_engine(parsed, pool_pre_ping=True, **kwargs, **_pool_kwargs(current))
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, pool_pre_ping=True, **kwargs, **_pool_kwargs(current))
    database = parsed.database or ""
    memory = database in ("", ":memory:") or "mode=memory" in str(parsed.query)
    kwargs["connect_args"] = {"check_same_thread": False, "timeout": timeout}
    if memory:
        kwargs["poolclass"] = StaticPool
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs.update(_pool_kwargs(current))
    engine = sa.create_engine(parsed, **kwargs)
    setattr(engine, _WRITE_LOCK, threading.RLock())
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
        cursor.execute("PRAGMA cache_size=-8192")  # 8 MiB a connection: RSS stays small
        if not memory:
            # A checkpoint copies the WAL's pages into the database and syncs it. SQLite's
            # default runs one every 1,000 pages: a flow-run create writes ~18 (its row, state,
            # event and their indexes), so every ~50th commit stalled 5-15 ms. At 10,000 pages
            # (a WAL of up to ~40 MB) a page rewritten by many commits (an index's last leaf)
            # is copied once, and the stalls add up to less than half (bench: mean commit
            # ~520 -> ~230 µs, p99 12 -> 2-4 ms).
            cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # On the DBAPI connection: exec_driver_sql would cost a statement's worth of
        # SQLAlchemy execution (~40 µs) for a BEGIN that returns nothing.
        sql = "BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN"
        try:
            conn.connection.driver_connection.execute(sql)  # type: ignore[union-attr]
        except conn.dialect.loaded_dbapi.Error as exc:
            # As SQLAlchemy raises it: write() retries a locked database.
            raise sa.exc.DBAPIError.instance(sql, (), exc, conn.dialect.loaded_dbapi.Error) from exc

    return engine
