"""The work-pool methods of the user-facing clients (``SyncPrefectClient``, and awaited on
``PrefectClient``): Prefect 3's names and signatures, returning
``praefect.schemas.work_pools`` models."""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Sequence
from typing import Any

from praefect import exceptions
from praefect.schemas import objects, queries
from praefect.schemas import work_pools as wp

__all__ = ["WorkPoolClientMethods"]


def _fields(value: Any) -> dict[str, Any]:
    if hasattr(value, "model_dump"):
        return value.model_dump(exclude_unset=True)
    return dict(value)


def _pool_missing(name: str) -> exceptions.ObjectNotFound:
    return exceptions.ObjectNotFound(f"Work pool {name!r} not found.", name=name)


class WorkPoolClientMethods:
    """Mixed into ``SyncPrefectClient`` (which provides ``_client``, the orchestration
    client)."""

    _client: Any

    # -- pools ----------------------------------------------------------------------------
    def create_work_pool(self, work_pool: Any, overwrite: bool = False) -> wp.WorkPool:
        """Create a work pool (a ``WorkPoolCreate`` or a mapping) with its ``default`` queue;
        ``ObjectAlreadyExists`` when the name is taken, unless ``overwrite`` (then its
        description, template, pause and limit are updated)."""
        values = wp.WorkPoolCreate.model_validate(_fields(work_pool)).model_dump()
        try:
            return wp.WorkPool.model_validate(self._client.create_work_pool(values))
        except exceptions.ObjectAlreadyExists:
            if not overwrite:
                raise
        changes = {k: values[k] for k in ("description", "is_paused", "concurrency_limit")}
        if values.get("base_job_template"):
            changes["base_job_template"] = values["base_job_template"]
        self._client.update_work_pool(values["name"], changes)
        return self.read_work_pool(values["name"])

    def read_work_pool(self, work_pool_name: str) -> wp.WorkPool:
        row = self._client.read_work_pool(work_pool_name)
        if row is None:
            raise _pool_missing(work_pool_name)
        return wp.WorkPool.model_validate(row)

    def read_work_pools(
        self,
        limit: int | None = None,
        offset: int = 0,
        work_pool_filter: wp.WorkPoolFilter | None = None,
    ) -> list[wp.WorkPool]:
        query = queries.WorkPoolQuery.of(work_pools=work_pool_filter, limit=limit, offset=offset)
        rows = self._client.read_work_pools(query)
        return [wp.WorkPool.model_validate(row) for row in rows]

    def update_work_pool(self, work_pool_name: str, work_pool: Any) -> None:
        """Change a work pool (a ``WorkPoolUpdate`` or a mapping of the fields to change)."""
        fields = wp.WorkPoolUpdate.model_validate(_fields(work_pool)).model_dump(exclude_unset=True)
        if not self._client.update_work_pool(work_pool_name, fields):
            raise _pool_missing(work_pool_name)

    def delete_work_pool(self, work_pool_name: str) -> None:
        if not self._client.delete_work_pool(work_pool_name):
            raise _pool_missing(work_pool_name)

    # -- queues ---------------------------------------------------------------------------
    def create_work_queue(
        self,
        name: str,
        description: str | None = None,
        limit: int | None = None,
        is_paused: bool | None = None,
        priority: int | None = None,
        work_pool_name: str | None = None,
        **_: Any,
    ) -> wp.WorkQueue:
        """Create a queue in the pool ``work_pool_name`` (Prefect's ``default-agent-pool``
        has no meaning here: a pool name is required)."""
        if work_pool_name is None:
            raise ValueError(f"Work queue {name!r} needs a work_pool_name to be created in.")
        body = wp.WorkQueueCreate(
            name=name,
            description=description or "",
            concurrency_limit=limit,
            is_paused=bool(is_paused),
            priority=priority,
        )
        row = self._client.create_work_queue(work_pool_name, body.model_dump())
        return wp.WorkQueue.model_validate(row)

    def read_work_queue(self, id: uuid.UUID) -> wp.WorkQueue:
        row = self._client.read_work_queue(uuid.UUID(str(id)))
        if row is None:
            raise exceptions.ObjectNotFound(f"Work queue {id} not found.", id=id)
        return wp.WorkQueue.model_validate(row)

    def read_work_queue_by_name(self, name: str, work_pool_name: str | None = None) -> wp.WorkQueue:
        """The queue ``name`` of a pool (when no pool is named: the only queue with that name
        across pools)."""
        if work_pool_name is not None:
            row = self._client.read_work_queue_by_name(work_pool_name, name)
        else:
            every = self._client.read_work_queues(None, queries.WorkQueueQuery())
            matches = [q for q in every if q["name"] == name]
            row = matches[0] if len(matches) == 1 else None
        if row is None:
            where = f" of work pool {work_pool_name!r}" if work_pool_name else ""
            raise exceptions.ObjectNotFound(f"Work queue {name!r}{where} not found.", name=name)
        return wp.WorkQueue.model_validate(row)

    def read_work_queues(
        self,
        work_pool_name: str | None = None,
        work_queue_filter: wp.WorkQueueFilter | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[wp.WorkQueue]:
        query = queries.WorkQueueQuery.of(work_queues=work_queue_filter, limit=limit, offset=offset)
        rows = self._client.read_work_queues(work_pool_name, query)
        return [wp.WorkQueue.model_validate(row) for row in rows]

    def update_work_queue(self, id: uuid.UUID, **kwargs: Any) -> None:
        """Change a queue: ``name``, ``description``, ``is_paused``, ``concurrency_limit``,
        ``priority``."""
        fields = wp.WorkQueueUpdate.model_validate(kwargs).model_dump(exclude_unset=True)
        if not self._client.update_work_queue(uuid.UUID(str(id)), fields):
            raise exceptions.ObjectNotFound(f"Work queue {id} not found.", id=id)

    def delete_work_queue_by_id(self, id: uuid.UUID) -> None:
        if not self._client.delete_work_queue(uuid.UUID(str(id))):
            raise exceptions.ObjectNotFound(f"Work queue {id} not found.", id=id)

    # -- workers and their polling --------------------------------------------------------
    def send_worker_heartbeat(
        self,
        work_pool_name: str,
        worker_name: str,
        heartbeat_interval_seconds: float | None = None,
        get_worker_id: bool = False,
        worker_metadata: Any = None,
    ) -> uuid.UUID | None:
        """Tell the server the worker ``worker_name`` of the pool is alive."""
        self._client.send_worker_heartbeat(
            work_pool_name, worker_name, heartbeat_interval_seconds or None
        )
        if not get_worker_id:
            return None
        for worker in self._client.read_workers(work_pool_name, queries.WorkerQuery()):
            if worker["name"] == worker_name:
                return uuid.UUID(str(worker["id"]))
        return None

    def read_workers_for_work_pool(
        self,
        work_pool_name: str,
        worker_filter: wp.WorkerFilter | None = None,
        offset: int | None = None,
        limit: int | None = None,
    ) -> list[wp.Worker]:
        query = queries.WorkerQuery.of(workers=worker_filter, limit=limit, offset=offset)
        rows = self._client.read_workers(work_pool_name, query)
        return [wp.Worker.model_validate(row) for row in rows]

    def get_scheduled_flow_runs_for_work_pool(
        self,
        work_pool_name: str,
        work_queue_names: Sequence[str] | None = None,
        scheduled_before: _dt.datetime | None = None,
        limit: int | None = None,
    ) -> list[wp.WorkerFlowRunResponse]:
        """The pool's Scheduled runs due by ``scheduled_before`` (default now), queues by
        priority then soonest first, within its concurrency limits."""
        items = self._client.get_scheduled_flow_runs_for_work_pool(
            work_pool_name, work_queue_names, scheduled_before, limit
        )
        return [
            wp.WorkerFlowRunResponse(
                work_pool_id=item["work_pool_id"],
                work_queue_id=item["work_queue_id"],
                flow_run=objects.FlowRun.from_row(item["flow_run"]),
            )
            for item in items
        ]

    def get_scheduled_flow_runs_for_deployments(
        self,
        deployment_ids: Sequence[uuid.UUID],
        scheduled_before: _dt.datetime | None = None,
        limit: int | None = None,
    ) -> list[objects.FlowRun]:
        """The Scheduled runs of these deployments due by ``scheduled_before``, soonest
        first."""
        ids = [uuid.UUID(str(d)) for d in deployment_ids]
        rows = self._client.get_scheduled_flow_runs_for_deployments(ids, scheduled_before, limit)
        return [objects.FlowRun.from_row(row) for row in rows]
