"""The one door from the SDK to orchestration: the ``OrchestrationClient`` protocol.

Two implementations: ``EmbeddedClient`` (in-process, straight onto the service layer) and, in a
later step, an HTTP client to a praefect server. The engine calls only these methods.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from praefect.schemas.responses import OrchestrationResult
from praefect.schemas.states import State

__all__ = ["OrchestrationClient"]


@runtime_checkable
class OrchestrationClient(Protocol):
    """What the engine needs from the orchestrator (all methods are sync and thread-safe).

    >>> from praefect.client import get_orchestration_client
    >>> isinstance(get_orchestration_client(), OrchestrationClient)  # doctest: +SKIP
    True
    """

    def ensure_flow(self, name: str) -> uuid.UUID:
        """The id of the flow called ``name``, created if needed (idempotent, cached)."""
        ...

    def create_flow_run(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Create a flow run and its first state ``row["state"]`` (synchronously), or return
        the existing one with the same ``id`` or the same flow and ``idempotency_key``."""
        ...

    def set_flow_run_state(
        self, flow_run_id: uuid.UUID, state: State, force: bool = False
    ) -> OrchestrationResult:
        """Propose a state; the orchestrator's rules answer (synchronously)."""
        ...

    def update_flow_run(self, flow_run_id: uuid.UUID, **fields: Any) -> None:
        """Change plain fields of a flow run (name, parameters, ...)."""
        ...

    def enqueue_task_run(self, row: Mapping[str, Any], state: State | None) -> None:
        """Queue the whole current row of a task run and its new state (write-behind)."""
        ...

    def enqueue_logs(self, rows: list[Mapping[str, Any]]) -> None:
        """Queue log rows (write-behind)."""
        ...

    def flush(self, timeout: float | None = None) -> None:
        """Block until everything queued so far is committed."""
        ...

    def read_flow_run(self, flow_run_id: uuid.UUID) -> dict[str, Any] | None:
        """The flow run as a dict with its current ``state``, or None."""
        ...

    def read_task_run(self, task_run_id: uuid.UUID) -> dict[str, Any] | None:
        """The task run as a dict with its current ``state``, or None."""
        ...

    def close(self) -> None:
        """Flush and release connections."""
        ...

    # -- work pools, queues, workers (rows as dicts; see orchestration.work_pools) ---------
    def create_work_pool(self, work_pool: Mapping[str, Any]) -> dict[str, Any]:
        """Create a work pool with its ``default`` queue (``ObjectAlreadyExists`` if taken)."""
        ...

    def read_work_pool(self, name: str) -> dict[str, Any] | None: ...

    def read_work_pools(
        self, work_pool_filter: Any = None, limit: int | None = None, offset: int = 0
    ) -> list[dict[str, Any]]: ...

    def update_work_pool(self, name: str, fields: Mapping[str, Any]) -> bool: ...

    def delete_work_pool(self, name: str) -> bool: ...

    def create_work_queue(
        self, work_pool_name: str, work_queue: Mapping[str, Any]
    ) -> dict[str, Any]: ...

    def read_work_queue(self, work_queue_id: uuid.UUID) -> dict[str, Any] | None: ...

    def read_work_queue_by_name(self, work_pool_name: str, name: str) -> dict[str, Any] | None: ...

    def read_work_queues(
        self,
        work_pool_name: str | None = None,
        work_queue_filter: Any = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]: ...

    def update_work_queue(self, work_queue_id: uuid.UUID, fields: Mapping[str, Any]) -> bool: ...

    def delete_work_queue(self, work_queue_id: uuid.UUID) -> bool: ...

    def send_worker_heartbeat(
        self, work_pool_name: str, worker_name: str, heartbeat_interval_seconds: int | None = None
    ) -> None: ...

    def read_workers(
        self,
        work_pool_name: str,
        worker_filter: Any = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]: ...

    def delete_worker(self, work_pool_name: str, worker_name: str) -> bool: ...

    def get_scheduled_flow_runs_for_work_pool(
        self,
        work_pool_name: str,
        work_queue_names: Any = None,
        scheduled_before: Any = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """``{"work_pool_id", "work_queue_id", "flow_run"}`` of each due Scheduled run."""
        ...

    def get_scheduled_flow_runs_for_deployments(
        self, deployment_ids: Any, scheduled_before: Any = None, limit: int | None = None
    ) -> list[dict[str, Any]]: ...

    # -- deployments (the deployments issue): rows as dicts, like the reads above ----------
    def create_deployment(self, deployment: Mapping[str, Any]) -> dict[str, Any]:
        """Create a deployment, or update the one with the same flow and name."""
        ...

    def read_deployment(self, deployment_id: uuid.UUID) -> dict[str, Any] | None:
        """The deployment with its ``schedules``, or None."""
        ...

    def read_deployment_by_name(self, flow_name: str, name: str) -> dict[str, Any] | None:
        """The deployment ``name`` of the flow ``flow_name``, or None."""
        ...

    def read_deployments(self, **filters: Any) -> list[dict[str, Any]]:
        """Deployments matching Prefect's filter schemas (``deployment_filter=``, ...)."""
        ...

    def update_deployment(self, deployment_id: uuid.UUID, changes: Mapping[str, Any]) -> bool:
        """Change fields of a deployment; False when there is none."""
        ...

    def delete_deployment(self, deployment_id: uuid.UUID) -> bool:
        """Delete a deployment and its schedules; False when there was none."""
        ...

    def create_flow_run_from_deployment(
        self, deployment_id: uuid.UUID, run: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Create a run of a deployment (parameters checked against its schema)."""
        ...
