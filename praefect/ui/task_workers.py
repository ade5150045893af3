"""The task workers page of the web UI: every task worker (where it runs, the tasks it serves,
the runs it holds, its last heartbeat) and the background runs waiting for one, by task."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.engine import Connection

from praefect import database, orchestration
from praefect.ui import templating

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _task_name(task_key: str) -> str:
    # a task key is the function's qualified name and a hash of its code
    return task_key.rsplit("-", 1)[0]


@router.get("/task-workers")
def task_workers_page(request: Request) -> Response:
    """Every task worker with its tasks, and the background runs waiting, by task."""

    def read(conn: Connection) -> dict[str, Any]:
        workers = orchestration.task_workers.read_workers(conn)
        waiting = orchestration.task_workers.scheduled_counts(conn)
        served = {key for worker in workers for key in worker["task_keys"]}
        tasks = [
            {
                "key": key,
                "name": _task_name(key),
                "waiting": waiting.get(key, 0),
                "workers": sum(1 for w in workers if key in w["task_keys"]),
            }
            for key in sorted(served | set(waiting))
        ]
        for worker in workers:
            worker["tasks"] = [_task_name(key) for key in worker["task_keys"]]
        return {"workers": workers, "tasks": tasks}

    context = database.read(database.get_engine(request.app.state.database_url), read)
    return templating.render(request, "task_workers.html", context)
