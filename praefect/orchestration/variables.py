"""Variables: named JSON values shared by flows, tasks and deployments.

A name is lowercase letters, digits, dashes and underscores (at most 255 characters); a value
is JSON (a string, a number, a bool, None, a list or a dict) whose text is at most 5,000
characters. Both are checked here, so each door and the API give the same error.

>>> from praefect import database
>>> engine = database.get_engine("sqlite:///:memory:")
>>> row = database.write(engine, lambda conn: create(conn, {"name": "region", "value": "eu"}))
>>> database.read(engine, lambda conn: read_by_name(conn, "region"))["value"]
'eu'
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from praefect import exceptions
from praefect.database import tables
from praefect.orchestration import filters as _filters
from praefect.schemas.states import now_utc

if TYPE_CHECKING:
    from praefect.schemas.variables import VariableCriteria, VariableQuery

__all__ = [
    "check_name",
    "check_value",
    "count",
    "create",
    "delete",
    "read",
    "read_by_name",
    "read_many",
    "update",
]

_var = tables.variable
_NAME = re.compile(r"^[a-z0-9_-]+$")
_MAX_NAME = 255
_MAX_VALUE = 5000
_JSON_TYPES = "str, int, float, bool, None, list or dict"


def check_name(name: object) -> str:
    """``name`` if it is a valid variable name, else ``InvalidNameError`` naming it."""
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > _MAX_NAME:
        raise exceptions.InvalidNameError(
            f"Variable name {name!r} is not valid: use only lowercase letters, numbers, dashes"
            f" and underscores (at most {_MAX_NAME} characters), e.g. 'db_host'."
        )
    return name


def _check_json(value: object, path: str) -> None:
    if value is None or value.__class__ in (str, int, bool):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path} is {value!r}, which JSON cannot hold: use a finite number.")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_json(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(
                    f"{path} has a key of type {type(key).__name__!r} ({key!r}): JSON object"
                    " keys are strings."
                )
            _check_json(item, f"{path}[{key!r}]")
        return
    if isinstance(value, str | int):  # subclasses (enums...) would change type on the way back
        return
    raise ValueError(
        f"{path} of type {type(value).__name__!r} is not JSON: a variable holds {_JSON_TYPES}."
    )


def check_value(name: str, value: object) -> Any:
    """``value`` if it is JSON that fits a variable, else ``ValueError`` naming its type."""
    _check_json(value, f"The value of variable {name!r}")
    size = len(json.dumps(value))
    if size > _MAX_VALUE:
        raise ValueError(
            f"The value of variable {name!r} is {size} characters of JSON; at most {_MAX_VALUE}"
            " are allowed."
        )
    return list(value) if isinstance(value, tuple) else value


def _tags(tags: object) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):  # type: ignore[attr-defined]
        raise ValueError(f"Variable tags must be a list of strings, got {tags!r}.")
    return list(tags)  # type: ignore[call-overload]


def _row(row: sa.RowMapping | None) -> dict[str, Any] | None:
    if row is None:
        return None
    out = dict(row)
    out["tags"] = out.get("tags") or []
    return out


def create(conn: Connection, variable: Mapping[str, Any]) -> dict[str, Any]:
    """Create a variable and return it; ``ObjectAlreadyExists`` when the name is taken."""
    name = check_name(variable.get("name"))
    now = now_utc()
    values = {
        "id": uuid.UUID(str(variable["id"])) if variable.get("id") else uuid.uuid4(),
        "created": now,
        "updated": now,
        "name": name,
        "value": check_value(name, variable.get("value")),
        "tags": _tags(variable.get("tags")),
    }
    insert = _filters.insert_ignoring_conflicts(conn, _var, ["name"])
    if conn.execute(insert, values).rowcount == 0:
        raise exceptions.ObjectAlreadyExists(f"A variable with the name {name!r} already exists.")
    return values


def read(conn: Connection, variable_id: uuid.UUID) -> dict[str, Any] | None:
    """The variable with this id, or None."""
    return _row(conn.execute(sa.select(_var).where(_var.c.id == variable_id)).mappings().first())


def read_by_name(conn: Connection, name: str) -> dict[str, Any] | None:
    """The variable called ``name``, or None."""
    return _row(conn.execute(sa.select(_var).where(_var.c.name == name)).mappings().first())


def _clauses(criteria: VariableCriteria | None) -> list[Any]:
    f = criteria.variables if criteria is not None else None
    if f is None:
        return []
    out: list[Any] = []
    _filters._ids(_var.c.id, f.id, out)
    _filters._ids(_var.c.name, f.name, out)
    if f.tags is not None:
        inner: list[Any] = []
        _filters._tags(_var.c.tags, f.tags, inner)
        out.extend(_filters._combine(f.tags, inner))
    return _filters._combine(f, out)


def read_many(conn: Connection, query: VariableQuery | None = None) -> list[dict[str, Any]]:
    """The variables of ``query``, by name unless its ``sort`` says otherwise."""
    select = sa.select(_var).where(*_clauses(query))
    sort = getattr(query, "sort", None)
    select = select.order_by(*_filters._order(_var, sort, "NAME_ASC"))
    if query is not None:
        select = select.limit(query.limit).offset(query.offset or None)
    return [_row(row) for row in conn.execute(select).mappings()]  # type: ignore[misc]


def count(conn: Connection, criteria: VariableCriteria | None = None) -> int:
    """How many variables match."""
    select = sa.select(sa.func.count()).select_from(_var).where(*_clauses(criteria))
    return int(conn.execute(select).scalar_one())


def update(conn: Connection, where: uuid.UUID | str, changes: Mapping[str, Any]) -> bool:
    """Change the ``name``, ``value`` and ``tags`` given of the variable with this id (a UUID)
    or name (a str); False when there is none."""
    current = read(conn, where) if isinstance(where, uuid.UUID) else read_by_name(conn, where)
    if current is None:
        return False
    values: dict[str, Any] = {"updated": now_utc()}
    name = current["name"]
    if changes.get("name") is not None:
        name = values["name"] = check_name(changes["name"])
    if "value" in changes:
        values["value"] = check_value(name, changes["value"])
    if changes.get("tags") is not None:
        values["tags"] = _tags(changes["tags"])
    if name != current["name"] and read_by_name(conn, name) is not None:
        raise exceptions.ObjectAlreadyExists(f"A variable with the name {name!r} already exists.")
    conn.execute(_var.update().where(_var.c.id == current["id"]).values(**values))
    return True


def delete(conn: Connection, where: uuid.UUID | str) -> bool:
    """Delete the variable with this id (a UUID) or name (a str); False when there is none."""
    column = _var.c.id if isinstance(where, uuid.UUID) else _var.c.name
    return conn.execute(_var.delete().where(column == where)).rowcount > 0
