"""Database administration for ``praefect server database upgrade | downgrade | reset``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Connection

from praefect import database
from praefect import settings as _settings
from praefect.database import migrations, tables

__all__ = ["database_url", "downgrade", "reset", "upgrade"]


def database_url(url: str | None = None) -> str:
    """``url``, or the current settings' database."""
    return url or _settings.get_current_settings().resolved_database_url


def upgrade(url: str | None = None) -> str:
    """Migrate the database to the newest schema; return the revision it is at."""
    engine = database.get_engine(database_url(url))
    database.write(engine, migrations.migrate)
    return database.read(engine, migrations.current_version) or "base"


def _alembic(conn: Connection, action: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.attributes["connection"] = conn
    getattr(command, action)(config, revision)


def downgrade(url: str | None = None, revision: str = "-1") -> str:
    """Undo migrations down to ``revision`` (default: the last one); return the revision the
    database is at then."""
    url = database_url(url)
    engine = database.get_engine(url)

    def down(conn: Connection) -> None:
        migrations.lock(conn)
        _alembic(conn, "downgrade", revision)

    database.write(engine, down)
    version = database.read(engine, migrations.current_version) or "base"
    database.dispose_engine(url)  # the next use migrates the database again
    return version


def reset(url: str | None = None) -> str:
    """Drop every table and recreate them empty at the newest schema; return the revision."""
    url = database_url(url)
    engine = database.get_engine(url)

    def drop(conn: Connection) -> None:
        migrations.lock(conn)
        tables.metadata.drop_all(conn)
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")

    database.write(engine, drop)
    database.dispose_engine(url)
    return upgrade(url)
