"""Health and version: the routes a server started with ``create_app(lazy=True)`` serves
before it loads the others.

They answer with a ``JSONResponse`` and describe it in ``responses`` (the same OpenAPI entry
FastAPI would derive from a ``-> bool`` annotation): a route with a response model makes
FastAPI import ``pydantic.v1`` (1 MiB, ~15 ms) to check that the model is not a v1 one.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter
from starlette.responses import JSONResponse

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
    """The server's version."""
    return JSONResponse(server_version())


@router.get(
    "/admin/version",
    tags=["Admin"],
    responses=_returns("string", "Response Admin Version Api Admin Version Get"),
)
async def admin_version() -> JSONResponse:
    """The server's version (Prefect's admin path)."""
    return JSONResponse(server_version())
