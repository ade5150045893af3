"""The search box: an id opens what it names; text finds flows, deployments, work pools and
flow runs whose name contains it."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.engine import Connection

from praefect import database, orchestration
from praefect.schemas import filters, queries
from praefect.ui import pages, templating

__all__ = ["LIMIT", "router"]

router = APIRouter(include_in_schema=False)

LIMIT = 10
"""The most results shown of each kind."""


def _page_of_id(conn: Connection, found: uuid.UUID) -> str | None:
    """The page of whatever has this id: a flow run, task run, flow or deployment."""
    if orchestration.flow_runs.read(conn, found) is not None:
        return f"/runs/flow-run/{found}"
    if orchestration.task_runs.read(conn, found) is not None:
        return f"/runs/task-run/{found}"
    if orchestration.flows.read(conn, found) is not None:
        return f"/flows/flow/{found}"
    if orchestration.deployments.read(conn, found) is not None:
        return f"/deployments/deployment/{found}"
    return None


def _by_name(conn: Connection, text: str) -> dict[str, Any]:
    named = filters.FlowFilter(name=filters.FlowFilterName(like_=text))
    flows = orchestration.flows.read_many(conn, queries.FlowQuery(flows=named, limit=LIMIT))
    deployed = filters.DeploymentFilter(name=filters.DeploymentFilterName(like_=text))
    deployments = orchestration.deployments.read_many(
        conn, queries.DeploymentQuery(deployments=deployed, limit=LIMIT)
    )
    pools = [
        pool
        for pool in orchestration.work_pools.read_pools(conn, queries.WorkPoolQuery(limit=500))
        if text.lower() in pool["name"].lower()
    ][:LIMIT]
    by_name = filters.FlowRunFilter(name=filters.FlowRunFilterName(like_=text))
    runs = orchestration.overview.page(
        conn, queries.FlowRunCriteria(flow_runs=by_name), limit=LIMIT
    ).runs
    return {"flows": flows, "deployments": deployments, "pools": pools, "runs": runs}


@router.get("/search")
def search(request: Request, q: str = "") -> Response:
    """Results for ``q``, or the page of the object whose id ``q`` is."""
    text = q.strip()
    engine = pages._engine(request)
    parsed = pages._parse_uuid(text)
    if parsed is not None:
        target = database.read(engine, lambda conn: _page_of_id(conn, parsed))
        if target is not None:
            return RedirectResponse(target, status_code=303)
    results = database.read(engine, lambda conn: _by_name(conn, text)) if text else None
    return templating.render(request, "search.html", {"q": text, "results": results})
