"""Inputs saved for a flow run (Prefect's ``flow_run_input``): create, read by key, filter by
key prefix, delete.

A paused run that waits for input saves its input's JSON schema here (key
``paused-1-schema``), the resume stores the answer (``paused-1-response``), and ``send_input``
leaves messages under a prefix that ``receive_input`` reads. ``value`` is JSON text.

>>> from praefect import database
>>> engine = database.get_engine("sqlite:///:memory:")
>>> run_id = uuid.uuid4()
>>> def demo(conn):
...     create(conn, run_id, "greeting-1", '"hello"')
...     return read(conn, run_id, "greeting-1")["value"]
>>> database.write(engine, demo)
'"hello"'
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect import exceptions
from praefect.database import tables
from praefect.schemas.states import now_utc

__all__ = ["create", "delete", "delete_of_runs", "filter_by_prefix", "read", "validate_key"]

_input = tables.flow_run_input
_KEY = re.compile(r"^[a-z0-9-]+$")


def validate_key(key: str) -> str:
    """``key`` if it is made of lowercase letters, digits and dashes (as Prefect requires),
    else ``ValueError`` naming it."""
    if not _KEY.match(key) or len(key) > 255:
        raise ValueError(
            f"Flow run input key {key!r} is not valid: use lowercase letters, digits and dashes "
            "only (at most 255 characters)."
        )
    return key


def create(
    conn: Connection, flow_run_id: uuid.UUID, key: str, value: str, sender: str | None = None
) -> dict[str, Any]:
    """Save an input; ``ObjectAlreadyExists`` when the run already has one with this key."""
    validate_key(key)
    exists = sa.select(_input.c.id).where(
        (_input.c.flow_run_id == flow_run_id) & (_input.c.key == key)
    )
    if conn.execute(exists).first() is not None:
        raise exceptions.ObjectAlreadyExists(
            f"Flow run {flow_run_id} already has an input with key {key!r}."
        )
    now = now_utc()
    row = {
        "id": uuid.uuid4(),
        "created": now,
        "updated": now,
        "flow_run_id": flow_run_id,
        "key": key,
        "value": value,
        "sender": sender,
    }
    conn.execute(_input.insert().values(**row))
    return row


def read(conn: Connection, flow_run_id: uuid.UUID, key: str) -> dict[str, Any] | None:
    """The input of the run with this key, or None."""
    query = sa.select(_input).where((_input.c.flow_run_id == flow_run_id) & (_input.c.key == key))
    row = conn.execute(query).mappings().first()
    return dict(row) if row is not None else None


def filter_by_prefix(
    conn: Connection,
    flow_run_id: uuid.UUID,
    prefix: str,
    limit: int = 1,
    exclude_keys: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """The run's inputs whose key starts with ``prefix`` (those in ``exclude_keys`` left out),
    oldest first, at most ``limit``."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = sa.select(_input).where(
        (_input.c.flow_run_id == flow_run_id) & _input.c.key.like(f"{escaped}%", escape="\\")
    )
    excluded = list(exclude_keys)
    if excluded:
        query = query.where(_input.c.key.not_in(excluded))
    query = query.order_by(_input.c.created, _input.c.key).limit(limit)
    return [dict(row) for row in conn.execute(query).mappings()]


def delete(conn: Connection, flow_run_id: uuid.UUID, key: str) -> bool:
    """Delete the run's input with this key; whether there was one."""
    statement = _input.delete().where((_input.c.flow_run_id == flow_run_id) & (_input.c.key == key))
    return conn.execute(statement).rowcount > 0


def delete_of_runs(conn: Connection, runs: Any) -> None:
    """Delete the inputs of the flow runs whose ids ``runs`` (a subquery) selects."""
    conn.execute(_input.delete().where(_input.c.flow_run_id.in_(runs)))
