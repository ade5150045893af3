"""API keys with a role: ``viewer`` reads, ``operator`` runs things, ``admin`` does everything.

A key is a random token shown once, when it is created; the database keeps its SHA-256 (a
256-bit random token needs no slow hash: nothing can be guessed from it) and its first
characters, so ``praefect api-key ls`` can show which key is which.

>>> from praefect import database
>>> engine = database.get_engine("sqlite:///:memory:")
>>> row, key = database.write(engine, lambda conn: create(conn, "ci", "viewer"))
>>> key.startswith("pfk_"), row["role"]
(True, 'viewer')
>>> database.read(engine, lambda conn: roles_by_hash(conn))[hash_key(key)]
('viewer', 'ci')
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect import exceptions
from praefect.database import tables
from praefect.schemas.states import now_utc

__all__ = ["ROLES", "create", "hash_key", "read_many", "revoke", "roles_by_hash"]

ROLES = ("viewer", "operator", "admin")
"""The roles, each allowed what the ones before it are."""
_PREFIX = "pfk_"
_table = tables.api_key


def hash_key(key: str) -> str:
    """The stored form of ``key``: its SHA-256, hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def create(conn: Connection, name: str, role: str) -> tuple[dict[str, Any], str]:
    """A new key called ``name`` with ``role``: its row and the key itself (shown once; only
    its hash is stored). A name already in use raises ``ObjectAlreadyExists``."""
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; the roles are: {', '.join(ROLES)}.")
    name = name.strip()
    if not name:
        raise ValueError("An API key needs a name (who or what uses it, e.g. 'ci').")
    if conn.execute(sa.select(_table.c.id).where(_table.c.name == name)).first() is not None:
        raise exceptions.ObjectAlreadyExists(
            f"An API key called {name!r} already exists; revoke it first or pick another name."
        )
    key = _PREFIX + secrets.token_urlsafe(32)
    now = now_utc()
    row = {
        "id": uuid.uuid4(),
        "created": now,
        "updated": now,
        "name": name,
        "role": role,
        "key_hash": hash_key(key),
        "key_prefix": key[:10],
    }
    conn.execute(_table.insert().values(row))
    return row, key


def read_many(conn: Connection) -> list[dict[str, Any]]:
    """Every key's row (without its hash), oldest first."""
    columns = [column for column in _table.c if column.name != "key_hash"]
    rows = conn.execute(sa.select(*columns).order_by(_table.c.created, _table.c.name))
    return [dict(row._mapping) for row in rows]


def revoke(conn: Connection, name_or_id: str) -> bool:
    """Delete the key with this name (or id); whether one was deleted."""
    condition = _table.c.name == name_or_id
    try:
        condition = sa.or_(condition, _table.c.id == uuid.UUID(name_or_id))
    except ValueError:
        pass
    return conn.execute(_table.delete().where(condition)).rowcount > 0


def roles_by_hash(conn: Connection) -> dict[str, tuple[str, str]]:
    """``{key hash: (role, name)}`` of every key: the server checks requests against it."""
    rows = conn.execute(sa.select(_table.c.key_hash, _table.c.role, _table.c.name))
    return {key_hash: (role, name) for key_hash, role, name in rows}
