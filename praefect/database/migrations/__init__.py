"""Schema migrations (Alembic), applied when a process first opens a database.

The up-to-date case costs one ``SELECT`` on ``alembic_version`` and never imports Alembic. An
empty database gets ``metadata.create_all`` and is stamped at ``HEAD`` (the Alembic recipe for a
fresh install; a test checks it matches running every revision). Any other database is upgraded
with Alembic, inside a write transaction so concurrent processes migrate it once (on
PostgreSQL the transaction first takes an advisory lock, ``lock()``: processes opening a fresh
database together wait for the first one, then find it migrated).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

__all__ = ["HEAD", "current_version", "is_current", "lock", "migrate", "upgrade"]

HEAD = "0015_flow_run_labels"
"""The newest revision; bump it with every new file in ``versions/``."""

_version_table = sa.Table(
    "alembic_version",
    sa.MetaData(),
    sa.Column("version_num", sa.String(32)),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),  # Alembic's own name
)


def current_version(conn: Connection) -> str | None:
    """The revision the database is at, or None for a database Alembic never touched."""
    try:
        return conn.execute(sa.select(_version_table.c.version_num)).scalar()
    except DBAPIError:
        conn.rollback()
        return None


def is_current(engine: Engine) -> bool:
    """Whether the database of ``engine`` is at ``HEAD`` (one ``SELECT``; no Alembic import).

    >>> from praefect import database
    >>> engine = database.get_engine("sqlite:///:memory:")
    >>> is_current(engine)
    True
    """
    with engine.connect() as conn:
        return current_version(conn) == HEAD


def upgrade(conn: Connection, revision: str = "head") -> None:
    """Run the Alembic revisions up to ``revision`` on ``conn`` (inside its transaction)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    config.attributes["connection"] = conn
    command.upgrade(config, revision)


_ADVISORY_LOCK = 4242001


def lock(conn: Connection) -> None:
    """On PostgreSQL, hold the schema-change advisory lock until the transaction ends, so one
    process at a time migrates (or resets) a database. No-op elsewhere (SQLite's write
    transaction is exclusive already)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK})")


def migrate(conn: Connection) -> None:
    """Bring the database to ``HEAD`` inside the write transaction ``conn`` (a no-op when it is
    there already): an empty database is created and stamped, any other one upgraded.
    ``database.get_engine`` runs it on a process's first use of a database."""
    lock(conn)
    names = sa.inspect(conn).get_table_names()
    version = None
    if "alembic_version" in names:
        version = conn.execute(sa.select(_version_table.c.version_num)).scalar()
    if version == HEAD:
        return
    if version is None and not names:
        from praefect.database import tables

        tables.metadata.create_all(conn)
        _version_table.create(conn)
        conn.execute(_version_table.insert().values(version_num=HEAD))
        return
    upgrade(conn)
