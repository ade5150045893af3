"""The work-pool methods of ``EmbeddedClient`` (pools, queues, workers, scheduled runs for
workers and runners), straight onto ``orchestration.work_pools`` and
``orchestration.scheduled_runs``; kept in a mixin of their own."""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from praefect import orchestration

if TYPE_CHECKING:
    from praefect.schemas.queries import WorkerQuery, WorkPoolQuery, WorkQueueQuery

__all__ = ["EmbeddedWorkPoolMethods"]

_wp = orchestration.work_pools


class EmbeddedWorkPoolMethods:
    """Mixed into ``EmbeddedClient`` (which provides ``_read`` and ``_write``)."""

    _read: Any
    _write: Any

    def create_work_pool(self, work_pool: Mapping[str, Any]) -> dict[str, Any]:
        """Create a work pool with its ``default`` queue (``ObjectAlreadyExists`` when taken)."""
        return self._write(lambda conn: _wp.create_pool(conn, work_pool))

    def read_work_pool(self, name: str) -> dict[str, Any] | None:
        return self._read(lambda conn: _wp.read_pool(conn, name))

    def read_work_pools(self, query: WorkPoolQuery | None = None) -> list[dict[str, Any]]:
        return self._read(lambda conn: _wp.read_pools(conn, query))

    def update_work_pool(self, name: str, fields: Mapping[str, Any]) -> bool:
        return self._write(lambda conn: _wp.update_pool(conn, name, fields))

    def delete_work_pool(self, name: str) -> bool:
        return self._write(lambda conn: _wp.delete_pool(conn, name))

    def create_work_queue(
        self, work_pool_name: str, work_queue: Mapping[str, Any]
    ) -> dict[str, Any]:
        return self._write(lambda conn: _wp.create_queue(conn, work_pool_name, work_queue))

    def read_work_queue(self, work_queue_id: uuid.UUID) -> dict[str, Any] | None:
        return self._read(lambda conn: _wp.read_queue_by_id(conn, work_queue_id))

    def read_work_queue_by_name(self, work_pool_name: str, name: str) -> dict[str, Any] | None:
        return self._read(lambda conn: _wp.read_queue(conn, work_pool_name, name))

    def read_work_queues(
        self, work_pool_name: str | None = None, query: WorkQueueQuery | None = None
    ) -> list[dict[str, Any]]:
        return self._read(lambda conn: _wp.read_queues(conn, work_pool_name, query))

    def update_work_queue(self, work_queue_id: uuid.UUID, fields: Mapping[str, Any]) -> bool:
        return self._write(lambda conn: _wp.update_queue(conn, work_queue_id, fields))

    def delete_work_queue(self, work_queue_id: uuid.UUID) -> bool:
        return self._write(lambda conn: _wp.delete_queue(conn, work_queue_id))

    def send_worker_heartbeat(
        self, work_pool_name: str, worker_name: str, heartbeat_interval_seconds: float | None = None
    ) -> None:
        self._write(
            lambda conn: _wp.heartbeat(
                conn, work_pool_name, worker_name, heartbeat_interval_seconds
            )
        )

    def read_workers(
        self, work_pool_name: str, query: WorkerQuery | None = None
    ) -> list[dict[str, Any]]:
        return self._read(lambda conn: _wp.read_workers(conn, work_pool_name, query))

    def delete_worker(self, work_pool_name: str, worker_name: str) -> bool:
        return self._write(lambda conn: _wp.delete_worker(conn, work_pool_name, worker_name))

    def get_scheduled_flow_runs_for_work_pool(
        self,
        work_pool_name: str,
        work_queue_names: Sequence[str] | None = None,
        scheduled_before: _dt.datetime | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """``{"work_pool_id", "work_queue_id", "flow_run"}`` of each due Scheduled run."""
        return self._write(
            lambda conn: orchestration.scheduled_runs.for_work_pool(
                conn, work_pool_name, work_queue_names, scheduled_before, limit
            )
        )

    def get_scheduled_flow_runs_for_deployments(
        self,
        deployment_ids: Sequence[uuid.UUID],
        scheduled_before: _dt.datetime | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        return self._write(
            lambda conn: orchestration.scheduled_runs.for_deployments(
                conn, deployment_ids, scheduled_before, limit
            )
        )
