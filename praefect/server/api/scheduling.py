"""``POST /api/deployments/{id}/schedule``: create a deployment's next scheduled runs now, as
the scheduler service would (Prefect's "Schedule Deployment"; the test harness runs no scheduler,
so tests and tools call this instead)."""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Body

from praefect import database, orchestration
from praefect.schemas.actions import UtcDatetime
from praefect.schemas.schedules import MAX_ITERATIONS
from praefect.server.api._deps import EngineDep

__all__ = ["router"]

router = APIRouter(prefix="/deployments", tags=["Deployments"])


@router.post("/{id}/schedule")
def schedule_deployment(
    id: uuid.UUID,
    engine: EngineDep,
    start_time: Annotated[
        UtcDatetime | None, Body(description="The earliest time to schedule (default: now).")
    ] = None,
    end_time: Annotated[
        UtcDatetime | None,
        Body(description="The latest time to schedule (default: start + the scheduler's max)."),
    ] = None,
    min_time: Annotated[
        _dt.timedelta | None,
        Body(description="Schedule at least this far past start_time (seconds or ISO 8601)."),
    ] = None,
    min_runs: Annotated[
        int | None, Body(ge=0, le=MAX_ITERATIONS, description="Schedule at least this many runs.")
    ] = None,
    max_runs: Annotated[
        int | None, Body(ge=0, le=MAX_ITERATIONS, description="Schedule at most this many runs.")
    ] = None,
) -> None:
    """Insert the deployment's next Scheduled runs from its active schedules (none when it is
    paused); runs that already exist are kept, so calling it twice changes nothing."""
    if min_time is not None and min_time < _dt.timedelta(0):
        raise ValueError(f"min_time must be 0 or more, got {min_time}")
    database.write(
        engine,
        lambda conn: orchestration.scheduling.schedule_runs(
            conn,
            id,
            start_time=start_time,
            end_time=end_time,
            min_time=min_time,
            min_runs=min_runs,
            max_runs=max_runs,
        ),
    )
