"""The work pool pages of the web UI: every pool with its health, and one pool with its
queues, its workers (online or not, last heartbeat) and the runs sent to it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.engine import Connection

from praefect import database, orchestration
from praefect.schemas import queries
from praefect.ui import templating

__all__ = ["pool_summaries", "router"]

router = APIRouter(include_in_schema=False)


def pool_summaries(conn: Connection) -> list[dict[str, Any]]:
    """Every work pool with its status, its queues and how many of its workers are online."""
    pools = orchestration.work_pools.read_pools(conn, queries.WorkPoolQuery(limit=500))
    for pool in pools:
        workers = orchestration.work_pools.read_workers(conn, pool["name"])
        pool["workers_online"] = sum(1 for w in workers if w["status"] == "ONLINE")
        pool["workers_total"] = len(workers)
        pool["last_heartbeat"] = max((w["last_heartbeat_time"] for w in workers), default=None)
        pool["queue_count"] = len(orchestration.work_pools.read_queues(conn, pool["name"]))
    return pools


@router.get("/work-pools")
def work_pools_page(request: Request) -> Response:
    """Every work pool: type, status, workers online, queues."""
    found = database.read(database.get_engine(request.app.state.database_url), pool_summaries)
    return templating.render(request, "work_pools.html", {"pools": found})


@router.get("/work-pools/work-pool/{name}")
def work_pool_page(request: Request, name: str) -> Response:
    """A work pool: its settings, queues, workers and newest runs."""

    def read(conn: Connection) -> dict[str, Any] | None:
        pool = orchestration.work_pools.read_pool(conn, name)
        if pool is None:
            return None
        queues = orchestration.work_pools.read_queues(conn, name)
        queue_ids = [queue["id"] for queue in queues]
        runs = orchestration.overview.page(conn, work_queue_ids=queue_ids, limit=20).runs
        return {
            "pool": pool,
            "queues": queues,
            "workers": orchestration.work_pools.read_workers(conn, name),
            "runs": runs,
        }

    context = database.read(database.get_engine(request.app.state.database_url), read)
    if context is None:
        return templating.render(
            request, "not_found.html", {"message": f"No work pool named {name!r}."}, 404
        )
    return templating.render(request, "work_pool.html", context)
