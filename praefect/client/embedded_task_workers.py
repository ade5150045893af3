"""The background-task methods of ``EmbeddedClient`` (schedule, claim, task workers), straight
onto ``orchestration.task_workers``; kept in a mixin of their own."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from praefect import orchestration
from praefect.schemas.states import State

if TYPE_CHECKING:
    from praefect.schemas.filters import TaskWorkerFilter

__all__ = ["EmbeddedTaskWorkerMethods"]

_tw = orchestration.task_workers


class EmbeddedTaskWorkerMethods:
    """Mixed into ``EmbeddedClient`` (which provides ``engine``, ``_read`` and ``_write``)."""

    engine: Any
    _read: Any
    _write: Any

    def schedule_task_run(self, row: Mapping[str, Any], state: State) -> dict[str, Any]:
        return self._write(lambda conn: _tw.schedule(conn, row, state))

    def claim_task_runs(
        self, task_keys: Sequence[str], client_id: str, limit: int = 1, timeout: float = 0.0
    ) -> list[dict[str, Any]]:
        return _tw.claim_waiting(self.engine, task_keys, client_id, limit, timeout)

    def send_task_worker_heartbeat(self, client_id: str, task_keys: Sequence[str]) -> None:
        from praefect.settings import get_current_settings

        stale_after = 3 * get_current_settings().heartbeat_seconds
        host = socket.gethostname()
        self._write(
            lambda conn: _tw.heartbeat(
                conn, client_id, task_keys, host, os.getpid(), None, stale_after, host
            )
        )

    def remove_task_worker(self, client_id: str) -> bool:
        return self._write(lambda conn: _tw.forget(conn, client_id))

    def read_task_workers(
        self, task_worker_filter: TaskWorkerFilter | None = None
    ) -> list[dict[str, Any]]:
        keys = task_worker_filter.task_keys if task_worker_filter is not None else None
        return self._read(lambda conn: _tw.read_workers(conn, keys or None))
