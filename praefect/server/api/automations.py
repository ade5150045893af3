"""``/api/automations``: create, read, filter, count, replace, enable or disable, delete, and
the automations related to (or owned by) a resource (Prefect 3's paths and bodies).

An action naming a deployment (work pool, queue, automation) that does not exist is refused
with a 422 naming it, and nothing is written.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Connection

from praefect import database, exceptions, orchestration
from praefect.schemas.automations import (
    Automation,
    AutomationCore,
    AutomationCriteria,
    AutomationPartialUpdate,
    AutomationQuery,
)
from praefect.schemas.states import now_utc
from praefect.server.api._deps import EngineDep, page

__all__ = ["router"]

router = APIRouter(prefix="/automations", tags=["Automations"])


def _not_found(automation_id: uuid.UUID) -> exceptions.ObjectNotFound:
    return exceptions.ObjectNotFound(
        f"Automation {automation_id} not found.", automation_id=automation_id
    )


@router.post("/", status_code=status.HTTP_201_CREATED)
def create_automation(automation: AutomationCore, engine: EngineDep) -> Automation:
    """Create an automation (its actions' deployments and pools must exist)."""
    row = database.write(engine, lambda conn: orchestration.automations.create(conn, automation))
    return Automation.model_validate(row)


@router.put("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def update_automation(id: uuid.UUID, automation: AutomationCore, engine: EngineDep) -> None:
    """Replace an automation's name, trigger, actions, ... (its windows start again)."""
    if not database.write(
        engine, lambda conn: orchestration.automations.update(conn, id, automation)
    ):
        raise _not_found(id)


@router.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def patch_automation(id: uuid.UUID, automation: AutomationPartialUpdate, engine: EngineDep) -> None:
    """Enable or disable an automation."""
    if not database.write(
        engine, lambda conn: orchestration.automations.set_enabled(conn, id, automation.enabled)
    ):
        raise _not_found(id)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_automation(id: uuid.UUID, engine: EngineDep) -> None:
    """Delete an automation."""
    if not database.write(engine, lambda conn: orchestration.automations.delete(conn, id)):
        raise _not_found(id)


@router.post("/filter")
def read_automations(
    engine: EngineDep, query: AutomationQuery = AutomationQuery()
) -> list[Automation]:
    """Automations matching the filter, by name unless ``sort`` says otherwise."""
    query = page(query)
    rows = database.read(engine, lambda conn: orchestration.automations.read_many(conn, query))
    return [Automation.model_validate(row) for row in rows]


@router.post("/count")
def count_automations(
    engine: EngineDep, criteria: AutomationCriteria = AutomationCriteria()
) -> int:
    """How many automations match the filter."""
    return database.read(engine, lambda conn: orchestration.automations.count(conn, criteria))


@router.post("/templates/validate", response_class=Response)
def validate_template(template: Annotated[str, Body()] = "") -> Response:
    """204 when ``template`` (a JSON string) parses as a Jinja template; else 422 with the
    line and the message of its error."""
    problem = orchestration.automation_templates.syntax_error(template)
    if problem is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    line, message = problem
    error = {"line": line, "message": message, "source": template}
    return JSONResponse({"error": error}, status_code=422)


@router.get("/{id}")
def read_automation(id: uuid.UUID, engine: EngineDep) -> Automation:
    """The automation with this id."""
    row = database.read(engine, lambda conn: orchestration.automations.read(conn, id))
    if row is None:
        raise _not_found(id)
    return Automation.model_validate(row)


@router.get("/related-to/{resource_id}")
def read_automations_related_to_resource(resource_id: str, engine: EngineDep) -> list[Automation]:
    """The automations that belong to the resource or act on it."""
    rows = database.read(
        engine, lambda conn: orchestration.automations.related_to(conn, resource_id)
    )
    return [Automation.model_validate(row) for row in rows]


@router.delete("/owned-by/{resource_id}", status_code=status.HTTP_202_ACCEPTED)
def delete_automations_owned_by_resource(resource_id: str, engine: EngineDep) -> None:
    """Delete the automations the resource owns (a deployment's triggers)."""
    before = now_utc()

    def delete(conn: Connection) -> int:
        return orchestration.automations.delete_owned_by(conn, resource_id, before)

    database.write(engine, delete)
