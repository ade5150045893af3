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

    def create_flow_run(self, row: Mapping[str, Any]) -> None:
        """Insert a flow run and its first state ``row["state"]`` (synchronously)."""
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
