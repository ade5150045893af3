"""``/api/flows``: create (idempotent by name), read, filter, count, delete."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status
from sqlalchemy.engine import Connection

from praefect import database, exceptions, orchestration
from praefect.schemas.actions import FlowCreate, FlowUpdate
from praefect.schemas.objects import BulkDeleteResponse, Flow, PaginationResponse
from praefect.schemas.queries import FlowBulkDelete, FlowCriteria, FlowPage, FlowQuery
from praefect.server.api._deps import EngineDep, page, paginated

__all__ = ["router"]

router = APIRouter(prefix="/flows", tags=["Flows"])


def _not_found(flow_id: uuid.UUID) -> exceptions.FlowNotFound:
    return exceptions.FlowNotFound(f"Flow {flow_id} not found.", flow_id=flow_id)


@router.post("/", status_code=status.HTTP_201_CREATED)
def create_flow(flow: FlowCreate, response: Response, engine: EngineDep) -> Flow:
    """Create a flow, or return the existing one of that name (200)."""

    def create(conn: Connection) -> tuple[dict[str, Any] | None, bool]:
        existing = orchestration.flows.read_by_name(conn, flow.name)
        if existing is not None:
            return existing, False
        flow_id = orchestration.flows.ensure(conn, flow.name, flow.tags)
        return orchestration.flows.read(conn, flow_id), True

    row, created = database.write(engine, create)
    if not created:
        response.status_code = status.HTTP_200_OK
    return Flow.model_validate(row)


@router.get("/name/{name}")
def read_flow_by_name(name: str, engine: EngineDep) -> Flow:
    """The flow called ``name``."""
    row = database.read(engine, lambda conn: orchestration.flows.read_by_name(conn, name))
    if row is None:
        raise exceptions.FlowNotFound(f"Flow named {name!r} not found.", name=name)
    return Flow.model_validate(row)


@router.get("/{id}")
def read_flow(id: uuid.UUID, engine: EngineDep) -> Flow:
    """The flow with this id."""
    row = database.read(engine, lambda conn: orchestration.flows.read(conn, id))
    if row is None:
        raise _not_found(id)
    return Flow.model_validate(row)


@router.post("/filter")
def read_flows(engine: EngineDep, query: FlowQuery = FlowQuery()) -> list[Flow]:
    """Flows matching the filters, by name."""
    query = page(query)
    rows = database.read(engine, lambda conn: orchestration.flows.read_many(conn, query))
    return [Flow.model_validate(row) for row in rows]


@router.post("/count")
def count_flows(engine: EngineDep, criteria: FlowCriteria = FlowCriteria()) -> int:
    """How many flows match."""
    return database.read(engine, lambda conn: orchestration.flows.count(conn, criteria))


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_flow(id: uuid.UUID, engine: EngineDep) -> None:
    """Delete a flow and all its runs."""
    if not database.write(engine, lambda conn: orchestration.flows.delete(conn, id)):
        raise _not_found(id)


@router.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def update_flow(id: uuid.UUID, flow: FlowUpdate, engine: EngineDep) -> None:
    """Replace the flow's tags."""
    if not database.write(engine, lambda conn: orchestration.flows.update(conn, id, flow.tags)):
        raise _not_found(id)


@router.post("/paginate")
def paginate_flows(engine: EngineDep, query: FlowPage = FlowPage()) -> PaginationResponse[Flow]:
    """Page ``page`` of the flows matching the filters, with how many match in all."""
    flows = orchestration.flows
    return paginated(engine, query, flows.read_many, flows.count, Flow.model_validate)


@router.post("/bulk_delete")
def bulk_delete_flows(
    engine: EngineDep, query: FlowBulkDelete = FlowBulkDelete()
) -> BulkDeleteResponse:
    """Delete at most ``limit`` (50) flows matching the filter, with their runs."""
    deleted = database.write(
        engine, lambda conn: orchestration.flows.delete_matching(conn, query.flows, query.limit)
    )
    return BulkDeleteResponse(deleted=deleted)
