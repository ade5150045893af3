"""``/api/work_pools`` (pools, their queues and workers, scheduled runs for workers),
``/api/work_queues/{id}`` and ``POST /api/deployments/get_scheduled_flow_runs`` (what a runner
serving deployments polls): Prefect 3's paths and bodies.

Three routers, all in ``routers``.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, status
from sqlalchemy.engine import Connection

from praefect import database, exceptions, orchestration
from praefect.schemas.actions import UtcDatetime
from praefect.schemas.objects import FlowRun
from praefect.schemas.queries import WorkerQuery, WorkPoolQuery, WorkQueueQuery
from praefect.schemas.work_pools import (
    Worker,
    WorkerFlowRunResponse,
    WorkPool,
    WorkPoolCreate,
    WorkPoolFilter,
    WorkPoolUpdate,
    WorkQueue,
    WorkQueueCreate,
    WorkQueueUpdate,
)
from praefect.server.api._deps import EngineDep, page

__all__ = ["deployment_runs", "router", "routers", "work_pools", "work_queues"]

work_pools = APIRouter(prefix="/work_pools", tags=["Work Pools"])
work_queues = APIRouter(prefix="/work_queues", tags=["Work Queues"])
deployment_runs = APIRouter(prefix="/deployments", tags=["Deployments"])
router = APIRouter()
router.include_router(deployment_runs)
router.include_router(work_pools)
router.include_router(work_queues)
routers = (deployment_runs, work_pools, work_queues)

_wp = orchestration.work_pools


def _pool_not_found(name: str) -> exceptions.ObjectNotFound:
    return exceptions.ObjectNotFound(f"Work pool {name!r} not found.", name=name)


def _queue_not_found(what: Any) -> exceptions.ObjectNotFound:
    return exceptions.ObjectNotFound(f"Work queue {what} not found.")


# -- pools ---------------------------------------------------------------------------------------
@work_pools.post("/", status_code=status.HTTP_201_CREATED)
def create_work_pool(work_pool: WorkPoolCreate, engine: EngineDep) -> WorkPool:
    """Create a work pool with a ``default`` queue (409 when the name is taken)."""
    values = work_pool.model_dump()
    return WorkPool.model_validate(database.write(engine, lambda c: _wp.create_pool(c, values)))


@work_pools.post("/filter")
def read_work_pools(engine: EngineDep, query: WorkPoolQuery = WorkPoolQuery()) -> list[WorkPool]:
    query = page(query)
    rows = database.read(engine, lambda c: _wp.read_pools(c, query))
    return [WorkPool.model_validate(row) for row in rows]


@work_pools.post("/count")
def count_work_pools(
    engine: EngineDep, work_pools: Annotated[WorkPoolFilter | None, Body(embed=True)] = None
) -> int:
    query = WorkPoolQuery(work_pools=work_pools)
    return database.read(engine, lambda c: _wp.count_pools(c, query))


@work_pools.get("/{name}")
def read_work_pool(name: str, engine: EngineDep) -> WorkPool:
    row = database.read(engine, lambda c: _wp.read_pool(c, name))
    if row is None:
        raise _pool_not_found(name)
    return WorkPool.model_validate(row)


@work_pools.patch("/{name}", status_code=status.HTTP_204_NO_CONTENT)
def update_work_pool(name: str, work_pool: WorkPoolUpdate, engine: EngineDep) -> None:
    fields = work_pool.model_dump(exclude_unset=True)
    if not database.write(engine, lambda c: _wp.update_pool(c, name, fields)):
        raise _pool_not_found(name)


@work_pools.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_work_pool(name: str, engine: EngineDep) -> None:
    if not database.write(engine, lambda c: _wp.delete_pool(c, name)):
        raise _pool_not_found(name)


@work_pools.post("/{name}/get_scheduled_flow_runs")
def get_scheduled_flow_runs(
    name: str,
    engine: EngineDep,
    work_queue_names: Annotated[list[str] | None, Body()] = None,
    scheduled_before: Annotated[UtcDatetime | None, Body()] = None,
    scheduled_after: Annotated[UtcDatetime | None, Body()] = None,
    limit: Annotated[int | None, Body(ge=0, le=10_000)] = None,
) -> list[WorkerFlowRunResponse]:
    """The pool's Scheduled runs due by ``scheduled_before``: queues by priority, then soonest
    first, within the pool's and queues' concurrency limits (none when paused)."""
    items = database.write(
        engine,
        lambda c: orchestration.scheduled_runs.for_work_pool(
            c, name, work_queue_names, scheduled_before, limit
        ),
    )
    if scheduled_after is not None:
        items = [i for i in items if _scheduled(i["flow_run"]) >= scheduled_after]
    return [
        WorkerFlowRunResponse(
            work_pool_id=item["work_pool_id"],
            work_queue_id=item["work_queue_id"],
            flow_run=FlowRun.from_row(item["flow_run"]),
        )
        for item in items
    ]


def _scheduled(run: dict[str, Any]) -> _dt.datetime:
    return run.get("next_scheduled_start_time") or _dt.datetime.min.replace(tzinfo=_dt.UTC)


# -- queues of a pool ----------------------------------------------------------------------------
@work_pools.post("/{work_pool_name}/queues", status_code=status.HTTP_201_CREATED)
def create_work_queue(
    work_pool_name: str, work_queue: WorkQueueCreate, engine: EngineDep
) -> WorkQueue:
    values = work_queue.model_dump(exclude={"work_pool_name"})
    row = database.write(engine, lambda c: _wp.create_queue(c, work_pool_name, values))
    return WorkQueue.model_validate(row)


@work_pools.post("/{work_pool_name}/queues/filter")
def read_work_queues(
    work_pool_name: str, engine: EngineDep, query: WorkQueueQuery = WorkQueueQuery()
) -> list[WorkQueue]:
    query = page(query)
    rows = database.read(engine, lambda c: _wp.read_queues(c, work_pool_name, query))
    return [WorkQueue.model_validate(row) for row in rows]


def _queue_id(conn: Connection, work_pool_name: str, name: str) -> uuid.UUID:
    queue = _wp.read_queue(conn, work_pool_name, name)
    if queue is None:
        raise _queue_not_found(f"{name!r} of work pool {work_pool_name!r}")
    return queue["id"]


@work_pools.get("/{work_pool_name}/queues/{name}")
def read_work_queue(work_pool_name: str, name: str, engine: EngineDep) -> WorkQueue:
    row = database.read(engine, lambda c: _wp.read_queue(c, work_pool_name, name))
    if row is None:
        raise _queue_not_found(f"{name!r} of work pool {work_pool_name!r}")
    return WorkQueue.model_validate(row)


@work_pools.patch("/{work_pool_name}/queues/{name}", status_code=status.HTTP_204_NO_CONTENT)
def update_work_queue(
    work_pool_name: str, name: str, work_queue: WorkQueueUpdate, engine: EngineDep
) -> None:
    fields = work_queue.model_dump(exclude_unset=True)
    database.write(
        engine, lambda c: _wp.update_queue(c, _queue_id(c, work_pool_name, name), fields)
    )


@work_pools.delete("/{work_pool_name}/queues/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_work_queue(work_pool_name: str, name: str, engine: EngineDep) -> None:
    database.write(engine, lambda c: _wp.delete_queue(c, _queue_id(c, work_pool_name, name)))


# -- workers of a pool ---------------------------------------------------------------------------
@work_pools.post("/{work_pool_name}/workers/heartbeat", status_code=status.HTTP_204_NO_CONTENT)
def worker_heartbeat(
    work_pool_name: str,
    engine: EngineDep,
    name: Annotated[str, Body(min_length=1, max_length=255)],
    heartbeat_interval_seconds: Annotated[float | None, Body(ge=0, le=2**31 - 1)] = None,
) -> None:
    """Record that the worker ``name`` of the pool is alive."""
    database.write(
        engine, lambda c: _wp.heartbeat(c, work_pool_name, name, heartbeat_interval_seconds)
    )


@work_pools.post("/{work_pool_name}/workers/filter")
def read_workers(
    work_pool_name: str, engine: EngineDep, query: WorkerQuery = WorkerQuery()
) -> list[Worker]:
    query = page(query)
    rows = database.read(engine, lambda c: _wp.read_workers(c, work_pool_name, query))
    return [Worker.model_validate(row) for row in rows]


@work_pools.delete("/{work_pool_name}/workers/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_worker(work_pool_name: str, name: str, engine: EngineDep) -> None:
    if not database.write(engine, lambda c: _wp.delete_worker(c, work_pool_name, name)):
        raise exceptions.ObjectNotFound(
            f"Worker {name!r} of work pool {work_pool_name!r} not found."
        )


# -- queues by id --------------------------------------------------------------------------------
@work_queues.post("/filter")
def read_all_work_queues(
    engine: EngineDep, query: WorkQueueQuery = WorkQueueQuery()
) -> list[WorkQueue]:
    """Work queues of every pool matching the filters, by pool, priority then name."""
    query = page(query)
    rows = database.read(engine, lambda c: _wp.read_queues(c, None, query))
    return [WorkQueue.model_validate(row) for row in rows]


@work_queues.get("/{id}")
def read_work_queue_by_id(id: uuid.UUID, engine: EngineDep) -> WorkQueue:
    row = database.read(engine, lambda c: _wp.read_queue_by_id(c, id))
    if row is None:
        raise _queue_not_found(id)
    return WorkQueue.model_validate(row)


@work_queues.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def update_work_queue_by_id(id: uuid.UUID, work_queue: WorkQueueUpdate, engine: EngineDep) -> None:
    fields = work_queue.model_dump(exclude_unset=True)
    if not database.write(engine, lambda c: _wp.update_queue(c, id, fields)):
        raise _queue_not_found(id)


@work_queues.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_work_queue_by_id(id: uuid.UUID, engine: EngineDep) -> None:
    if not database.write(engine, lambda c: _wp.delete_queue(c, id)):
        raise _queue_not_found(id)


# -- runs of served deployments ------------------------------------------------------------------
@deployment_runs.post("/get_scheduled_flow_runs")
def get_scheduled_flow_runs_for_deployments(
    engine: EngineDep,
    deployment_ids: Annotated[list[uuid.UUID], Body()],
    scheduled_before: Annotated[UtcDatetime | None, Body()] = None,
    limit: Annotated[int | None, Body(ge=0, le=10_000)] = None,
) -> list[FlowRun]:
    """The Scheduled runs of these deployments due by ``scheduled_before``, soonest first."""
    rows = database.write(
        engine,
        lambda c: orchestration.scheduled_runs.for_deployments(
            c, deployment_ids, scheduled_before, limit
        ),
    )
    return [FlowRun.from_row(row) for row in rows]
