"""Background tasks over HTTP: ``POST /api/task_runs/claim`` (a task worker's long poll for
Scheduled runs of its tasks) and ``/api/task_workers`` (Prefect's ``filter``, and the
heartbeats and goodbyes of praefect's task workers). Prefect's websocket,
``/api/task_runs/subscriptions/scheduled``, lives in ``task_subscriptions``."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Body, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from praefect import database
from praefect.orchestration import task_workers
from praefect.schemas.actions import TaskRunClaim, TaskWorkerHeartbeat
from praefect.schemas.filters import TaskWorkerFilter
from praefect.schemas.objects import TaskRun, TaskWorkerResponse
from praefect.server.api._deps import EngineDep, json_list_response

__all__ = ["claim_or_wait", "router"]

router = APIRouter(tags=["Task Workers"])


async def claim_or_wait(
    engine: Engine, task_keys: Sequence[str], client_id: str, limit: int, timeout: float
) -> list[dict[str, Any]]:
    """``task_workers.claim`` in a write transaction, waiting up to ``timeout`` seconds on the
    event loop (not in a thread) for a run when none is ready: woken at once when this server
    schedules one, and looking every ``SERVER_POLL_SECONDS`` for those scheduled elsewhere."""
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()

    def wake() -> None:
        try:
            loop.call_soon_threadsafe(woken.set)
        except RuntimeError:  # the loop has closed
            pass

    def claim() -> list[dict[str, Any]]:
        return database.write(
            engine, lambda conn: task_workers.claim(conn, task_keys, client_id, limit)
        )

    def ready() -> bool:
        return database.read(engine, lambda conn: task_workers.has_scheduled(conn, task_keys))

    deadline = loop.time() + timeout
    task_workers.subscribe(wake)
    try:
        while True:
            woken.clear()
            runs = await run_in_threadpool(claim)
            if runs:
                return runs
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return []
                try:
                    await asyncio.wait_for(
                        woken.wait(), min(remaining, task_workers.SERVER_POLL_SECONDS)
                    )
                    break
                except TimeoutError:
                    if await run_in_threadpool(ready):
                        break
    finally:
        task_workers.unsubscribe(wake)


@router.post("/task_runs/claim", response_model=list[TaskRun])
async def claim_task_runs(claim: TaskRunClaim, engine: EngineDep) -> Response:
    """Take up to ``limit`` Scheduled background runs of ``task_keys`` for the task worker
    ``client_id`` (each now Pending and given to this worker only), waiting up to ``timeout``
    seconds for one."""
    runs = await claim_or_wait(engine, claim.task_keys, claim.client_id, claim.limit, claim.timeout)
    return json_list_response(TaskRun, runs)


@router.post("/task_workers/filter", response_model=list[TaskWorkerResponse])
def read_task_workers(
    engine: EngineDep,
    task_worker_filter: Annotated[TaskWorkerFilter | None, Body(embed=True)] = None,
) -> Response:
    """The task workers (serving any of ``task_worker_filter.task_keys``), latest heartbeat
    first."""
    keys = task_worker_filter.task_keys if task_worker_filter is not None else None
    rows = database.read(engine, lambda conn: task_workers.read_workers(conn, keys or None))
    return json_list_response(TaskWorkerResponse, rows)


@router.post("/task_workers/heartbeat", status_code=204)
def task_worker_heartbeat(heartbeat: TaskWorkerHeartbeat, engine: EngineDep) -> Response:
    """A task worker is alive; the runs of task workers that are gone are marked Crashed (and
    scheduled again when they have retries left)."""
    from praefect.settings import get_current_settings

    stale_after = 3 * get_current_settings().heartbeat_seconds
    host = socket.gethostname()
    database.write(
        engine,
        lambda conn: task_workers.heartbeat(
            conn,
            heartbeat.client_id,
            heartbeat.task_keys,
            heartbeat.hostname,
            heartbeat.pid,
            None,
            stale_after,
            host,
        ),
    )
    return Response(status_code=204)


@router.delete("/task_workers/{client_id}", status_code=204)
def remove_task_worker(client_id: str, engine: EngineDep) -> Response:
    """Forget a stopped task worker (404 when there is none)."""
    if not database.write(engine, lambda conn: task_workers.forget(conn, client_id)):
        return Response(status_code=404)
    return Response(status_code=204)
