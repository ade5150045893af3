"""``/api/variables``: create, read (by id or name), filter, count, update and delete named JSON
values (Prefect 3's paths and bodies). A taken name is 409; a bad name or a value that is not
JSON is 422 naming it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from praefect import database, exceptions, orchestration
from praefect.schemas.variables import (
    Variable,
    VariableCreate,
    VariableCriteria,
    VariableQuery,
    VariableUpdate,
)
from praefect.server.api._deps import EngineDep, page

__all__ = ["router"]

router = APIRouter(prefix="/variables", tags=["Variables"])
_service = orchestration.variables


def _not_found(what: uuid.UUID | str) -> exceptions.ObjectNotFound:
    label = f"named {what!r}" if isinstance(what, str) else str(what)
    return exceptions.ObjectNotFound(f"Variable {label} not found.", name=what)


@router.post("/", status_code=status.HTTP_201_CREATED)
def create_variable(variable: VariableCreate, engine: EngineDep) -> Variable:
    """Create a variable (409 when the name is taken)."""
    fields = variable.model_dump()
    return Variable.model_validate(database.write(engine, lambda c: _service.create(c, fields)))


@router.post("/filter")
def read_variables(engine: EngineDep, query: VariableQuery = VariableQuery()) -> list[Variable]:
    """Variables matching the filter, by name unless ``sort``."""
    query = page(query)
    rows = database.read(engine, lambda conn: _service.read_many(conn, query))
    return [Variable.model_validate(row) for row in rows]


@router.post("/count")
def count_variables(engine: EngineDep, criteria: VariableCriteria = VariableCriteria()) -> int:
    """How many variables match."""
    return database.read(engine, lambda conn: _service.count(conn, criteria))


@router.get("/name/{name}")
def read_variable_by_name(name: str, engine: EngineDep) -> Variable:
    row = database.read(engine, lambda conn: _service.read_by_name(conn, name))
    if row is None:
        raise _not_found(name)
    return Variable.model_validate(row)


@router.get("/{id}")
def read_variable(id: uuid.UUID, engine: EngineDep) -> Variable:
    row = database.read(engine, lambda conn: _service.read(conn, id))
    if row is None:
        raise _not_found(id)
    return Variable.model_validate(row)


def _update(engine: EngineDep, where: uuid.UUID | str, variable: VariableUpdate) -> None:
    changes = variable.model_dump(exclude_unset=True)
    if not database.write(engine, lambda conn: _service.update(conn, where, changes)):
        raise _not_found(where)


@router.patch("/name/{name}", status_code=status.HTTP_204_NO_CONTENT)
def update_variable_by_name(name: str, variable: VariableUpdate, engine: EngineDep) -> None:
    """Change the name, value or tags given."""
    _update(engine, name, variable)


@router.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def update_variable(id: uuid.UUID, variable: VariableUpdate, engine: EngineDep) -> None:
    """Change the name, value or tags given."""
    _update(engine, id, variable)


@router.delete("/name/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_variable_by_name(name: str, engine: EngineDep) -> None:
    if not database.write(engine, lambda conn: _service.delete(conn, name)):
        raise _not_found(name)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_variable(id: uuid.UUID, engine: EngineDep) -> None:
    if not database.write(engine, lambda conn: _service.delete(conn, id)):
        raise _not_found(id)
