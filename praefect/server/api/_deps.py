"""What every route needs: the database engine and the shared body parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Depends, Request
from sqlalchemy.engine import Engine

from praefect import database

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "EngineDep", "LimitBody", "OffsetBody", "engine"]

DEFAULT_LIMIT = 200
"""Rows a filter returns when no ``limit`` is given (Prefect's default)."""
MAX_LIMIT = 1000
"""The largest ``limit`` a filter accepts; page with ``offset`` beyond it."""


def engine(request: Request) -> Engine:
    """The engine of the app's database (opened and migrated on first use)."""
    return database.get_engine(request.app.state.database_url)


EngineDep = Annotated[Engine, Depends(engine)]
LimitBody = Annotated[int, Body(ge=0, le=MAX_LIMIT, description="At most this many rows.")]
OffsetBody = Annotated[int, Body(ge=0, le=2**31 - 1, description="Skip this many rows first.")]
