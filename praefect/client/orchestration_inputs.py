"""The pausing methods of the user-facing clients (``SyncPrefectClient``, and awaited on
``PrefectClient``): resuming a paused run and the inputs saved for runs, with Prefect 3's names
and signatures."""

from __future__ import annotations

import uuid
from typing import Any

from praefect import exceptions
from praefect.schemas import objects, queries
from praefect.schemas.responses import OrchestrationResult

__all__ = ["InputClientMethods"]


class InputClientMethods:
    """Mixed into ``SyncPrefectClient`` (which provides ``_client``, the orchestration
    client)."""

    _client: Any

    def resume_flow_run(
        self, flow_run_id: uuid.UUID, run_input: dict[str, Any] | None = None
    ) -> OrchestrationResult:
        """Resume a paused flow run (with the input it waits for); the orchestrator's answer.
        ``NotPausedError`` when it is not paused; ``ValueError`` naming a bad field."""
        result: OrchestrationResult = self._client.resume_flow_run(
            uuid.UUID(str(flow_run_id)), run_input
        )
        return result

    def create_flow_run_input(
        self, flow_run_id: uuid.UUID, key: str, value: str, sender: str | None = None
    ) -> None:
        """Save ``value`` (JSON text) under ``key`` for the run."""
        self._client.create_flow_run_input(uuid.UUID(str(flow_run_id)), key, value, sender)

    def filter_flow_run_input(
        self, flow_run_id: uuid.UUID, key_prefix: str, limit: int, exclude_keys: set[str]
    ) -> list[objects.FlowRunInput]:
        """The run's inputs whose key starts with ``key_prefix``, oldest first."""
        query = queries.FlowRunInputQuery(
            prefix=key_prefix, limit=limit, exclude_keys=sorted(exclude_keys)
        )
        rows = self._client.filter_flow_run_input(uuid.UUID(str(flow_run_id)), query)
        return [objects.FlowRunInput.model_validate(row) for row in rows]

    def read_flow_run_input(self, flow_run_id: uuid.UUID, key: str) -> str:
        """The JSON text saved under ``key`` for the run (``ObjectNotFound`` when none)."""
        value: str | None = self._client.read_flow_run_input(uuid.UUID(str(flow_run_id)), key)
        if value is None:
            raise exceptions.ObjectNotFound(f"Flow run {flow_run_id} has no input {key!r}.")
        return value

    def delete_flow_run_input(self, flow_run_id: uuid.UUID, key: str) -> None:
        """Delete the run's input saved under ``key`` (``ObjectNotFound`` when none)."""
        if not self._client.delete_flow_run_input(uuid.UUID(str(flow_run_id)), key):
            raise exceptions.ObjectNotFound(f"Flow run {flow_run_id} has no input {key!r}.")
