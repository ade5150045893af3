"""``/api/deployments``: create (an upsert by flow and name), read by id or by
``{flow_name}/{deployment_name}``, filter, count, update, delete, pause and resume, schedules,
and runs created from a deployment (Prefect 3's paths).

Each route is one transaction: a request refused half-way (an unknown work pool, a schedule
slug taken, parameters refused by the deployment's schema) leaves nothing written.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status
from sqlalchemy.engine import Connection

from praefect import database, exceptions, orchestration
from praefect.schemas.actions import DeploymentCreate, DeploymentFlowRunCreate, DeploymentUpdate
from praefect.schemas.objects import BulkDeleteResponse, Deployment, FlowRun, PaginationResponse
from praefect.schemas.queries import (
    DeploymentBulkDelete,
    DeploymentCriteria,
    DeploymentPage,
    DeploymentQuery,
)
from praefect.schemas.schedules import (
    DeploymentSchedule,
    DeploymentScheduleCreate,
    DeploymentScheduleUpdate,
)
from praefect.schemas.work_pools import WorkQueue
from praefect.server.api._deps import (
    EngineDep,
    json_response,
    page,
    paginated,
)

__all__ = ["router"]

router = APIRouter(prefix="/deployments", tags=["Deployments"])


def _not_found(deployment_id: uuid.UUID) -> exceptions.ObjectNotFound:
    return exceptions.ObjectNotFound(
        f"Deployment {deployment_id} not found.", deployment_id=deployment_id
    )


def _require(conn: Connection, deployment_id: uuid.UUID) -> None:
    if orchestration.deployments.read(conn, deployment_id) is None:
        raise _not_found(deployment_id)


@router.post("/", status_code=status.HTTP_201_CREATED, response_model=Deployment)
def create_deployment(deployment: DeploymentCreate, engine: EngineDep) -> Response:
    """Create a deployment (201), or update the one with the same flow and name (200)."""

    def create(conn: Connection) -> tuple[dict[str, Any], bool]:
        if not orchestration.flows.exists(conn, deployment.flow_id):
            raise exceptions.FlowNotFound(
                f"Flow {deployment.flow_id} not found (field flow_id).",
                flow_id=deployment.flow_id,
            )
        existing = orchestration.deployments.id_of(conn, deployment.flow_id, deployment.name)
        return orchestration.deployments.create(conn, deployment.to_row()), existing is None

    row, created = database.write(engine, create)
    return json_response(Deployment.model_validate(row), 201 if created else 200)


@router.post("/filter", response_model=list[Deployment])
def read_deployments(
    engine: EngineDep, query: DeploymentQuery = DeploymentQuery()
) -> list[Deployment]:
    """Deployments matching the filters, by name unless ``sort`` says otherwise."""
    query = page(query)
    rows = database.read(engine, lambda conn: orchestration.deployments.read_many(conn, query))
    return [Deployment.model_validate(row) for row in rows]


@router.post("/paginate")
def paginate_deployments(
    engine: EngineDep, query: DeploymentPage = DeploymentPage()
) -> PaginationResponse[Deployment]:
    """Page ``page`` of the deployments matching the filters, with how many match in all."""
    deployments = orchestration.deployments
    return paginated(
        engine, query, deployments.read_many, deployments.count, Deployment.model_validate
    )


@router.post("/bulk_delete")
def bulk_delete_deployments(
    engine: EngineDep, query: DeploymentBulkDelete = DeploymentBulkDelete()
) -> BulkDeleteResponse:
    """Delete at most ``limit`` (50) deployments matching the filter (their runs are kept)."""
    deleted = database.write(
        engine,
        lambda conn: orchestration.deployments.delete_matching(
            conn, query.deployments, query.limit
        ),
    )
    return BulkDeleteResponse(deleted=deleted)


@router.post("/count")
def count_deployments(
    engine: EngineDep, criteria: DeploymentCriteria = DeploymentCriteria()
) -> int:
    """How many deployments match the filters."""
    return database.read(engine, lambda conn: orchestration.deployments.count(conn, criteria))


@router.get("/name/{flow_name}/{deployment_name}")
def read_deployment_by_name(flow_name: str, deployment_name: str, engine: EngineDep) -> Deployment:
    """The deployment ``deployment_name`` of the flow ``flow_name``."""
    row = database.read(
        engine,
        lambda conn: orchestration.deployments.read_by_name(conn, flow_name, deployment_name),
    )
    if row is None:
        raise exceptions.ObjectNotFound(
            f"Deployment {flow_name}/{deployment_name} not found.",
            name=f"{flow_name}/{deployment_name}",
        )
    return Deployment.model_validate(row)


@router.get("/{id}")
def read_deployment(id: uuid.UUID, engine: EngineDep) -> Deployment:
    """The deployment with this id."""
    row = database.read(engine, lambda conn: orchestration.deployments.read(conn, id))
    if row is None:
        raise _not_found(id)
    return Deployment.model_validate(row)


@router.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def update_deployment(id: uuid.UUID, deployment: DeploymentUpdate, engine: EngineDep) -> None:
    """Change the fields sent (``schedules`` sent replace the deployment's)."""
    changes = deployment.to_changes()
    if not database.write(engine, lambda conn: orchestration.deployments.update(conn, id, changes)):
        raise _not_found(id)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_deployment(id: uuid.UUID, engine: EngineDep) -> None:
    """Delete a deployment and its schedules (its runs are kept)."""
    if not database.write(engine, lambda conn: orchestration.deployments.delete(conn, id)):
        raise _not_found(id)


@router.post("/{id}/pause_deployment", status_code=status.HTTP_204_NO_CONTENT)
def pause_deployment(id: uuid.UUID, engine: EngineDep) -> None:
    """Pause a deployment: its schedules make no runs until it is resumed."""
    if not database.write(engine, lambda conn: orchestration.deployments.pause(conn, id)):
        raise _not_found(id)


@router.post("/{id}/resume_deployment", status_code=status.HTTP_204_NO_CONTENT)
def resume_deployment(id: uuid.UUID, engine: EngineDep) -> None:
    """Resume a paused deployment."""
    if not database.write(engine, lambda conn: orchestration.deployments.resume(conn, id)):
        raise _not_found(id)


@router.post("/{id}/create_flow_run", status_code=status.HTTP_201_CREATED, response_model=FlowRun)
def create_flow_run_from_deployment(
    id: uuid.UUID, flow_run: DeploymentFlowRunCreate, engine: EngineDep
) -> Response:
    """Create a run of the deployment (Scheduled now unless ``state`` says otherwise), its
    parameters merged over the deployment's and checked against its schema (422 naming the
    parameter). The same ``idempotency_key`` again gives back the same run."""
    body = flow_run.to_row()
    run = database.write(
        engine, lambda conn: orchestration.deployments.create_flow_run(conn, id, body)
    )
    return json_response(FlowRun.from_row(run), 201)


@router.get("/{id}/work_queue_check")
def work_queue_check(id: uuid.UUID, engine: EngineDep) -> list[WorkQueue]:
    """The work queues that would pick up the deployment's runs: its own (none without a
    work pool)."""

    def queues(conn: Connection) -> list[dict[str, Any]]:
        _require(conn, id)
        return orchestration.deployments.work_queues(conn, id)

    return [WorkQueue.model_validate(row) for row in database.read(engine, queues)]


# -- schedules -----------------------------------------------------------------------------------
@router.get("/{id}/schedules")
def read_deployment_schedules(id: uuid.UUID, engine: EngineDep) -> list[DeploymentSchedule]:
    """The schedules of a deployment."""

    def read(conn: Connection) -> list[dict[str, Any]]:
        _require(conn, id)
        return orchestration.deployments.read_schedules(conn, id)

    return [DeploymentSchedule.model_validate(row) for row in database.read(engine, read)]


@router.post("/{id}/schedules", status_code=status.HTTP_201_CREATED)
def create_deployment_schedules(
    id: uuid.UUID, schedules: list[DeploymentScheduleCreate], engine: EngineDep
) -> list[DeploymentSchedule]:
    """Add schedules to a deployment (409 when a ``slug`` is taken)."""
    rows = database.write(
        engine, lambda conn: orchestration.deployments.create_schedules(conn, id, schedules)
    )
    return [DeploymentSchedule.model_validate(row) for row in rows]


@router.patch("/{id}/schedules/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT)
def update_deployment_schedule(
    id: uuid.UUID, schedule_id: uuid.UUID, schedule: DeploymentScheduleUpdate, engine: EngineDep
) -> None:
    """Change a schedule of a deployment (only the fields sent)."""
    changes = {key: getattr(schedule, key) for key in schedule.model_fields_set}

    def update(conn: Connection) -> bool:
        _require(conn, id)
        return orchestration.deployments.update_schedule(conn, id, schedule_id, changes)

    if not database.write(engine, update):
        raise exceptions.ObjectNotFound(
            f"Schedule {schedule_id} of deployment {id} not found.", schedule_id=schedule_id
        )


@router.delete("/{id}/schedules/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_deployment_schedule(id: uuid.UUID, schedule_id: uuid.UUID, engine: EngineDep) -> None:
    """Delete a schedule of a deployment."""

    def delete(conn: Connection) -> bool:
        _require(conn, id)
        return orchestration.deployments.delete_schedule(conn, id, schedule_id)

    if not database.write(engine, delete):
        raise exceptions.ObjectNotFound(
            f"Schedule {schedule_id} of deployment {id} not found.", schedule_id=schedule_id
        )
