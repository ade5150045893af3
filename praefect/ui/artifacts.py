"""The artifact pages of the web UI: the latest artifact of each key, the versions of one key,
and one artifact (markdown, tables, links, images and progress bars, rendered)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.engine import Connection

from praefect import database, orchestration
from praefect.schemas import artifacts as art
from praefect.ui import pages, templating

__all__ = ["for_flow_run", "for_task_run", "router"]

router = APIRouter(include_in_schema=False)


def _preview(row: dict[str, Any]) -> str:
    data = row.get("data")
    if row.get("type") == "progress":
        return f"{data}%"
    text = data if isinstance(data, str) else json.dumps(data)
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:59] + "…"


def _oldest_first(conn: Connection, artifact_filter: art.ArtifactFilter) -> list[dict[str, Any]]:
    query = art.ArtifactQuery(artifacts=artifact_filter, sort=art.ArtifactSort.CREATED_DESC)
    return list(reversed(orchestration.artifacts.read_many(conn, query)))


def for_flow_run(conn: Connection, flow_run_id: uuid.UUID) -> list[dict[str, Any]]:
    """The artifacts a flow run (its flow and its tasks) published, oldest first."""
    ids = art.ArtifactFilterFlowRunId(any_=[flow_run_id])
    return _oldest_first(conn, art.ArtifactFilter(flow_run_id=ids))


def for_task_run(conn: Connection, task_run_id: uuid.UUID) -> list[dict[str, Any]]:
    """The artifacts a task run published, oldest first."""
    ids = art.ArtifactFilterTaskRunId(any_=[task_run_id])
    return _oldest_first(conn, art.ArtifactFilter(task_run_id=ids))


@router.get("/artifacts")
def artifacts_page(request: Request) -> Response:
    """The latest artifact of each key."""

    def read(conn: Connection) -> list[dict[str, Any]]:
        query = art.ArtifactCollectionQuery(sort=art.ArtifactCollectionSort.UPDATED_DESC, limit=500)
        rows = orchestration.artifacts.read_latest_many(conn, query)
        for row in rows:
            row["preview"] = _preview(row)
            run = row["flow_run_id"] and orchestration.flow_runs.read(conn, row["flow_run_id"])
            row["run_name"] = run["name"] if run else None
        return rows

    rows = database.read(pages._engine(request), read)
    return templating.render(request, "artifacts.html", {"artifacts": rows})


@router.get("/artifacts/key/{key}")
def artifact_key_page(request: Request, key: str) -> Response:
    """The versions of a key, newest (the current one) first."""
    key_filter = art.ArtifactFilter(key=art.ArtifactFilterKey(any_=[key]))
    versions = database.read(
        pages._engine(request), lambda conn: list(reversed(_oldest_first(conn, key_filter)))
    )
    if not versions:
        return pages.not_found(request, f"No artifact with the key {key!r}.")
    return templating.render(request, "artifact.html", {"title": key, "versions": versions})


@router.get("/artifacts/artifact/{artifact_id}")
def artifact_page(request: Request, artifact_id: str) -> Response:
    """One artifact."""
    parsed = pages._parse_uuid(artifact_id)
    row = None
    if parsed is not None:
        row = database.read(
            pages._engine(request), lambda conn: orchestration.artifacts.read(conn, parsed)
        )
    if row is None:
        return pages.not_found(request, f"No artifact with id {artifact_id!r}.")
    title = row["key"] or f"{row['type'] or 'artifact'} {row['id']}"
    return templating.render(request, "artifact.html", {"title": title, "versions": [row]})
