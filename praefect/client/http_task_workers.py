"""The background-task methods of ``HttpClient`` (the same calls as ``EmbeddedClient``'s):
``POST /task_runs/`` creates the Scheduled run as Prefect's client does, ``POST
/task_runs/claim`` is a long poll, and ``/task_workers`` keeps the workers; kept in a mixin of
their own."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from praefect.client.http_rows import row as _row
from praefect.schemas.states import State

if TYPE_CHECKING:
    from praefect.schemas.filters import TaskWorkerFilter

__all__ = ["HttpTaskWorkerMethods"]


class HttpTaskWorkerMethods:
    """Mixed into ``HttpClient`` (which provides ``_call``)."""

    _call: Any
    transport: Any

    def schedule_task_run(self, row: Mapping[str, Any], state: State) -> dict[str, Any]:
        body = {key: value for key, value in row.items() if value is not None}
        body["state"] = state
        return _row(self._call("POST", "/task_runs/", body))

    def claim_task_runs(
        self, task_keys: Sequence[str], client_id: str, limit: int = 1, timeout: float = 0.0
    ) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"task_keys": list(task_keys), "client_id": client_id}
        body.update(limit=limit, timeout=timeout)
        return [_row(item) for item in self._call("POST", "/task_runs/claim", body)]

    def send_task_worker_heartbeat(self, client_id: str, task_keys: Sequence[str]) -> None:
        body: dict[str, Any] = {"client_id": client_id, "task_keys": list(task_keys)}
        body.update(hostname=socket.gethostname(), pid=os.getpid())
        self._call("POST", "/task_workers/heartbeat", body, budget=2.0)

    def remove_task_worker(self, client_id: str) -> bool:
        response = self.transport.request("DELETE", f"/task_workers/{client_id}", budget=2.0)
        if response.status_code == 404:
            return False
        response.raise_for_status()
        return True

    def read_task_workers(
        self, task_worker_filter: TaskWorkerFilter | None = None
    ) -> list[dict[str, Any]]:
        body: dict[str, Any] = {}
        if task_worker_filter is not None:
            body["task_worker_filter"] = task_worker_filter.model_dump(mode="json")
        return [_row(item) for item in self._call("POST", "/task_workers/filter", body)]
