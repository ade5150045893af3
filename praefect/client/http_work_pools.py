"""The work-pool methods of ``HttpClient`` (the same calls as ``EmbeddedClient``'s, over
Prefect's ``/work_pools``, ``/work_queues`` and ``/deployments/get_scheduled_flow_runs``
routes), kept in a mixin of their own."""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from praefect import exceptions
from praefect.client.http_rows import row

if TYPE_CHECKING:
    from praefect.schemas.queries import WorkerQuery, WorkPoolQuery, WorkQueueQuery

__all__ = ["HttpWorkPoolMethods"]


def _q(name: str) -> str:
    return quote(name, safe="")


class HttpWorkPoolMethods:
    """Mixed into ``HttpClient`` (which provides ``_call`` and ``_filter_all``)."""

    _call: Any
    _filter_all: Any

    def _done(self, method: str, path: str, body: Any = None) -> bool:
        try:
            self._call(method, path, body)
        except exceptions.ObjectNotFound:
            return False
        return True

    def create_work_pool(self, work_pool: Mapping[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/work_pools/", dict(work_pool))

    def read_work_pool(self, name: str) -> dict[str, Any] | None:
        return self._call("GET", f"/work_pools/{_q(name)}", missing=None)

    def read_work_pools(self, query: WorkPoolQuery | None = None) -> list[dict[str, Any]]:
        return self._filter_all("/work_pools/filter", query)

    def update_work_pool(self, name: str, fields: Mapping[str, Any]) -> bool:
        return self._done("PATCH", f"/work_pools/{_q(name)}", dict(fields))

    def delete_work_pool(self, name: str) -> bool:
        return self._done("DELETE", f"/work_pools/{_q(name)}")

    def create_work_queue(
        self, work_pool_name: str, work_queue: Mapping[str, Any]
    ) -> dict[str, Any]:
        return self._call("POST", f"/work_pools/{_q(work_pool_name)}/queues", dict(work_queue))

    def read_work_queue(self, work_queue_id: uuid.UUID) -> dict[str, Any] | None:
        return self._call("GET", f"/work_queues/{work_queue_id}", missing=None)

    def read_work_queue_by_name(self, work_pool_name: str, name: str) -> dict[str, Any] | None:
        path = f"/work_pools/{_q(work_pool_name)}/queues/{_q(name)}"
        return self._call("GET", path, missing=None)

    def read_work_queues(
        self, work_pool_name: str | None = None, query: WorkQueueQuery | None = None
    ) -> list[dict[str, Any]]:
        if work_pool_name is not None:
            return self._filter_all(f"/work_pools/{_q(work_pool_name)}/queues/filter", query)
        # no route lists the queues of every pool: each pool's, paged here
        rows: list[dict[str, Any]] = []
        every = None if query is None else query.model_copy(update={"limit": None, "offset": 0})
        for pool in self.read_work_pools():
            rows.extend(self._filter_all(f"/work_pools/{_q(pool['name'])}/queues/filter", every))
        if query is None:
            return rows
        end = None if query.limit is None else query.offset + query.limit
        return rows[query.offset : end]

    def update_work_queue(self, work_queue_id: uuid.UUID, fields: Mapping[str, Any]) -> bool:
        return self._done("PATCH", f"/work_queues/{work_queue_id}", dict(fields))

    def delete_work_queue(self, work_queue_id: uuid.UUID) -> bool:
        return self._done("DELETE", f"/work_queues/{work_queue_id}")

    def send_worker_heartbeat(
        self, work_pool_name: str, worker_name: str, heartbeat_interval_seconds: float | None = None
    ) -> None:
        body = {"name": worker_name, "heartbeat_interval_seconds": heartbeat_interval_seconds}
        # a missed heartbeat is sent again at the next beat: do not hold the worker long
        self._call("POST", f"/work_pools/{_q(work_pool_name)}/workers/heartbeat", body, budget=5.0)

    def read_workers(
        self, work_pool_name: str, query: WorkerQuery | None = None
    ) -> list[dict[str, Any]]:
        return self._filter_all(f"/work_pools/{_q(work_pool_name)}/workers/filter", query)

    def delete_worker(self, work_pool_name: str, worker_name: str) -> bool:
        return self._done("DELETE", f"/work_pools/{_q(work_pool_name)}/workers/{_q(worker_name)}")

    def get_scheduled_flow_runs_for_work_pool(
        self,
        work_pool_name: str,
        work_queue_names: Sequence[str] | None = None,
        scheduled_before: _dt.datetime | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"work_queue_names": list(work_queue_names or []) or None}
        if scheduled_before is not None:
            body["scheduled_before"] = scheduled_before
        if limit is not None:
            body["limit"] = limit
        path = f"/work_pools/{_q(work_pool_name)}/get_scheduled_flow_runs"
        items = self._call("POST", path, body, budget=5.0)
        return [
            {
                "work_pool_id": uuid.UUID(item["work_pool_id"]),
                "work_queue_id": uuid.UUID(item["work_queue_id"]),
                "flow_run": row(item["flow_run"]),
            }
            for item in items
        ]

    def get_scheduled_flow_runs_for_deployments(
        self,
        deployment_ids: Sequence[uuid.UUID],
        scheduled_before: _dt.datetime | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"deployment_ids": [str(d) for d in deployment_ids]}
        if scheduled_before is not None:
            body["scheduled_before"] = scheduled_before
        if limit is not None:
            body["limit"] = limit
        items = self._call("POST", "/deployments/get_scheduled_flow_runs", body, budget=5.0)
        return [row(item) for item in items]
