"""Health and versions: the routes a server started with ``create_app(lazy=True)`` serves
before it loads the others.

Prefect's client reads ``GET /api/admin/version`` before its first run and refuses a server whose
major version differs from its own, so that route answers the Prefect version whose API praefect
serves (``schemas.versions.PREFECT_VERSION``), as a Prefect server answers its own version there; ``GET
/api/version`` answers Prefect's REST API version (``PREFECT_API_VERSION``), as Prefect's does.
praefect's own version is ``GET /api/admin/praefect-version`` and ``praefect version``.

They answer with a ``JSONResponse`` and describe it in ``responses`` (the same OpenAPI entry
FastAPI would derive from a ``-> bool`` annotation): a route with a response model makes
FastAPI import ``pydantic.v1`` (1 MiB, ~15 ms) to check that the model is not a v1 one.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter
from starlette.responses import JSONResponse

from praefect.schemas.versions import PREFECT_API_VERSION, PREFECT_VERSION

__all__ = ["router", "server_version"]

router = APIRouter(tags=["Root"])


def _returns(json_type: str, title: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route answering a JSON ``json_type`` (``title``: the one
    FastAPI gives a return annotation of the route)."""
    schema = {"type": json_type, "title": title}
    return {200: {"content": {"application/json": {"schema": schema}}}}


@functools.cache
def server_version() -> str:
    """The installed praefect version."""
    from importlib import metadata

    try:
        return metadata.version("praefect")
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"


@router.get("/health", responses=_returns("boolean", "Response Health Api Health Get"))
async def health() -> JSONResponse:
    """Whether the server is up (open without credentials)."""
    return JSONResponse(True)


@router.get("/version", responses=_returns("string", "Response Version Api Version Get"))
async def version() -> JSONResponse:
    """The version of Prefect's REST API the server speaks (``PREFECT_API_VERSION``)."""
    return JSONResponse(PREFECT_API_VERSION)


@router.get(
    "/admin/version",
    tags=["Admin"],
    responses=_returns("string", "Response Admin Version Api Admin Version Get"),
)
async def admin_version() -> JSONResponse:
    """The Prefect version whose API the server serves (``PREFECT_VERSION``): Prefect's client
    checks that its major version is the same."""
    return JSONResponse(PREFECT_VERSION)


@router.get(
    "/admin/praefect-version",
    tags=["Admin"],
    responses=_returns("string", "Response Praefect Version Api Admin Praefect Version Get"),
)
async def praefect_version() -> JSONResponse:
    """The installed praefect version of the server."""
    return JSONResponse(server_version())
