"""The small routes Prefect's clients call around their work: ``GET /api/hello``, ``GET
/api/ready``, ``GET /api/csrf-token``, ``GET /api/admin/storage`` and ``GET
/api/collections/views/{view}``.

praefect keeps no CSRF tokens (its browser guard refuses foreign origins instead): ``GET
/api/csrf-token`` answers 422 "CSRF protection is disabled.", as a Prefect server with the
protection off does, and Prefect's client then stops asking.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel

from praefect import database
from praefect.schemas import job_templates
from praefect.server.api._deps import EngineDep

__all__ = ["router"]

router = APIRouter(tags=["Root"])

_VIEWS = {"aggregate-worker-metadata": job_templates.worker_metadata}


class ServerDefaultResultStorage(BaseModel):
    """The result storage block a server hands its clients by default (Prefect's)."""

    default_result_storage_block_id: uuid.UUID | None = None


@router.get("/hello")
def hello() -> str:
    """Say hello (Prefect's check that the API answers)."""
    return "👋"


@router.get("/ready")
def ready(engine: EngineDep) -> dict[str, str]:
    """Whether the server can reach its database (503 when it cannot)."""
    database.read(engine, lambda conn: conn.exec_driver_sql("SELECT 1").scalar())
    return {"message": "OK"}


@router.get("/csrf-token")
def create_csrf_token(
    client: Annotated[str, Query(description="The client to create a CSRF token for")],
) -> None:
    """No CSRF tokens here: 422, as Prefect answers with its CSRF protection off."""
    raise HTTPException(422, "CSRF protection is disabled.")


@router.get("/admin/storage", tags=["Admin"])
def read_server_default_result_storage() -> ServerDefaultResultStorage:
    """The default result storage block: none (clients use their own result storage)."""
    return ServerDefaultResultStorage()


@router.get("/collections/views/{view}", tags=["Collections"])
def read_view_content(view: str) -> dict[str, Any]:
    """A view of Prefect's collections registry that this server can answer from what it has:
    ``aggregate-worker-metadata`` (the worker types its pools can have)."""
    if view not in _VIEWS:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"View {view!r} not found; this server has: {', '.join(sorted(_VIEWS))}.",
        )
    return _VIEWS[view]()
