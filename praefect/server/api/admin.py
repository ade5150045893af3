"""Health and version."""

from __future__ import annotations

import functools

from fastapi import APIRouter

__all__ = ["router", "server_version"]

router = APIRouter(tags=["Root"])


@functools.cache
def server_version() -> str:
    """The installed praefect version."""
    from importlib import metadata

    try:
        return metadata.version("praefect")
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"


@router.get("/health")
async def health() -> bool:
    """Whether the server is up (open without credentials)."""
    return True


@router.get("/version")
async def version() -> str:
    """The server's version."""
    return server_version()


@router.get("/admin/version", tags=["Admin"])
async def admin_version() -> str:
    """The server's version (Prefect's admin path)."""
    return server_version()
