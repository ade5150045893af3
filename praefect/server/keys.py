"""API keys on the server's database, for ``praefect api-key``: create (the key is shown once),
list, revoke. The server re-reads its keys every ``auth.REFRESH_SECONDS``."""

from __future__ import annotations

from typing import Any

from praefect import database
from praefect.orchestration import api_keys
from praefect.server import admin

__all__ = ["ROLES", "create", "read_all", "revoke"]

ROLES = api_keys.ROLES


def create(name: str, role: str, url: str | None = None) -> tuple[dict[str, Any], str]:
    """A new key on the database at ``url`` (default: the settings'): its row and the key."""
    engine = database.get_engine(admin.database_url(url))
    return database.write(engine, lambda conn: api_keys.create(conn, name, role))


def read_all(url: str | None = None) -> list[dict[str, Any]]:
    """Every key's row (name, role, first characters, created), oldest first."""
    engine = database.get_engine(admin.database_url(url))
    return database.read(engine, api_keys.read_many)


def revoke(name_or_id: str, url: str | None = None) -> bool:
    """Delete the key with this name or id; whether there was one."""
    engine = database.get_engine(admin.database_url(url))
    return database.write(engine, lambda conn: api_keys.revoke(conn, name_or_id))
