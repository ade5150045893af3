"""``EmbeddedClient``: the orchestration client that runs the service layer in-process.

Flow-run changes are synchronous transactions (the rules may refuse them); task-run changes
and logs go through the write-behind queue. Reads for users live here too, so the user-facing
``get_client()`` is a thin typed skin over them.

>>> client = EmbeddedClient("sqlite:///:memory:")
>>> flow_id = client.ensure_flow("etl")
>>> client.ensure_flow("etl") == flow_id
True
>>> client.close()
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Connection, Engine

from praefect import database, orchestration
from praefect.client.embedded_automations import EmbeddedAutomationMethods
from praefect.client.embedded_concurrency import EmbeddedConcurrencyMethods
from praefect.client.embedded_deployments import EmbeddedDeploymentMethods
from praefect.client.embedded_task_workers import EmbeddedTaskWorkerMethods
from praefect.client.embedded_variables import EmbeddedVariableMethods
from praefect.client.embedded_work_pools import EmbeddedWorkPoolMethods
from praefect.client.writer import WriteBehind
from praefect.schemas.responses import OrchestrationResult
from praefect.schemas.states import State

if TYPE_CHECKING:
    from praefect.schemas.events import Event, EventFilter
    from praefect.schemas.queries import (
        FlowQuery,
        FlowRunCriteria,
        FlowRunInputQuery,
        FlowRunQuery,
        LogQuery,
        TaskRunCriteria,
        TaskRunQuery,
    )

__all__ = ["EmbeddedClient"]

T = TypeVar("T")
_logger = logging.getLogger("praefect.client")


class EmbeddedClient(
    EmbeddedWorkPoolMethods,
    EmbeddedDeploymentMethods,
    EmbeddedAutomationMethods,
    EmbeddedTaskWorkerMethods,
    EmbeddedConcurrencyMethods,
    EmbeddedVariableMethods,
):
    """An ``OrchestrationClient`` onto the database at ``url``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._flow_ids: dict[str, uuid.UUID] = {}
        self.writer = WriteBehind(self._get_engine)
        # Bound straight to the queue: the hot path is one deque append (no method frame).
        self.enqueue_task_run = self.writer.put_task_run  # type: ignore[method-assign]
        self.enqueue_logs = self.writer.put_logs  # type: ignore[method-assign]

    @property
    def engine(self) -> Engine:
        """The engine of this client's database (opened, and migrated, on first use)."""
        return self._get_engine()

    def _get_engine(self) -> Engine:
        engine = self._engine
        if engine is None:
            engine = self._engine = database.get_engine(self.url)
            try:
                self.crash_dead_runs()
            except Exception as exc:  # never let the sweep stop the store from opening
                _logger.warning("Could not check for crashed flow runs: %s", exc)
        return engine

    def crash_dead_runs(self, stale_after: float | None = None) -> int:
        """Mark Crashed every Running flow run whose process is gone (its pid on this host, or a
        heartbeat older than ``stale_after``, default 3 heartbeats); return how many."""
        from praefect.settings import get_current_settings

        if stale_after is None:
            stale_after = 3 * get_current_settings().heartbeat_seconds
        hostname = socket.gethostname()
        engine = self._engine or database.get_engine(self.url)
        crashed = orchestration.zombies.crash_dead_runs(engine, hostname, stale_after)
        for run_id, reason in crashed:
            _logger.warning("Flow run %s marked Crashed: %s", run_id, reason)
        return len(crashed)

    def _write(self, fn: Callable[[Connection], T]) -> T:
        return database.write(self._get_engine(), fn)

    def _read(self, fn: Callable[[Connection], T]) -> T:
        return database.read(self._get_engine(), fn)

    # -- what the engine calls ------------------------------------------------------------
    def ensure_flow(self, name: str) -> uuid.UUID:
        """The id of the flow called ``name``, created if needed (cached in-process)."""
        flow_id = self._flow_ids.get(name)
        if flow_id is None:
            flow_id = self._flow_ids[name] = self._write(
                lambda conn: orchestration.flows.ensure(conn, name)
            )
        return flow_id

    def create_flow_run(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Create a flow run with its first state (``row`` keys: see the store contract), or
        return the existing one with the same ``id`` or flow and ``idempotency_key``."""
        return self._write(lambda conn: orchestration.flow_runs.create_or_read(conn, row))[0]

    def set_flow_run_state(
        self, flow_run_id: uuid.UUID, state: State, force: bool = False
    ) -> OrchestrationResult:
        """Propose ``state`` for a flow run; the rules answer ACCEPT/REJECT/ABORT/WAIT."""
        return self._write(
            lambda conn: orchestration.flow_runs.set_state(conn, flow_run_id, state, force)
        )

    def update_flow_run(self, flow_run_id: uuid.UUID, **fields: Any) -> None:
        """Change plain fields of a flow run."""
        self._write(lambda conn: orchestration.flow_runs.update(conn, flow_run_id, **fields))

    def update_flow_run_labels(self, flow_run_id: uuid.UUID, labels: Mapping[str, Any]) -> None:
        """Set these labels on a flow run, keeping its others."""
        self._write(lambda conn: orchestration.flow_runs.update_labels(conn, flow_run_id, labels))

    def enqueue_task_run(self, row: Mapping[str, Any], state: State | None) -> None:
        """Queue a task run's current row and new state (replaced per instance in __init__).

        The row is read later, on the writer thread: it may be updated in place afterwards
        (existing keys only; see the store contract), never resized.
        """
        self.writer.put_task_run(row, state)

    def enqueue_logs(self, rows: list[Mapping[str, Any]]) -> None:
        """Queue log rows (replaced per instance in __init__)."""
        self.writer.put_logs(rows)

    def enqueue_events(self, events: list[Event]) -> None:
        """Queue events: committed by the write-behind writer with the next batch."""
        self.writer.put_events(events)

    def flush(self, timeout: float | None = None) -> None:
        """Block until everything queued so far is committed."""
        self.writer.flush(timeout)

    def close(self) -> None:
        """Flush the queue and stop the writer (the engine stays cached for other clients)."""
        self.writer.close()

    # -- reads and user actions -----------------------------------------------------------
    def read_flow(self, flow_id: uuid.UUID) -> dict[str, Any] | None:
        return self._read(lambda conn: orchestration.flows.read(conn, flow_id))

    def read_flow_by_name(self, name: str) -> dict[str, Any] | None:
        return self._read(lambda conn: orchestration.flows.read_by_name(conn, name))

    def check_health(self) -> None:
        self._read(lambda conn: conn.exec_driver_sql("SELECT 1").scalar())

    def read_flows(self, query: FlowQuery | None = None) -> list[dict[str, Any]]:
        return self._read(lambda conn: orchestration.flows.read_many(conn, query))

    def read_flow_run(self, flow_run_id: uuid.UUID) -> dict[str, Any] | None:
        return self._read(lambda conn: orchestration.flow_runs.read(conn, flow_run_id))

    def read_flow_runs(self, query: FlowRunQuery | None = None) -> list[dict[str, Any]]:
        return self._read(lambda conn: orchestration.flow_runs.read_many(conn, query))

    def count_flow_runs(self, criteria: FlowRunCriteria | None = None) -> int:
        return self._read(lambda conn: orchestration.flow_runs.count(conn, criteria))

    def read_flow_run_states(self, flow_run_id: uuid.UUID) -> list[State]:
        return self._read(lambda conn: orchestration.flow_runs.read_states(conn, flow_run_id))

    def read_task_run(self, task_run_id: uuid.UUID) -> dict[str, Any] | None:
        self.flush()
        return self._read(lambda conn: orchestration.task_runs.read(conn, task_run_id))

    def read_task_runs(self, query: TaskRunQuery | None = None) -> list[dict[str, Any]]:
        self.flush()
        return self._read(lambda conn: orchestration.task_runs.read_many(conn, query))

    def count_task_runs(self, criteria: TaskRunCriteria | None = None) -> int:
        self.flush()
        return self._read(lambda conn: orchestration.task_runs.count(conn, criteria))

    def read_task_run_states(self, task_run_id: uuid.UUID) -> list[State]:
        self.flush()
        return self._read(lambda conn: orchestration.task_runs.read_states(conn, task_run_id))

    def read_logs(self, query: LogQuery | None = None) -> list[dict[str, Any]]:
        self.flush()
        return self._read(lambda conn: orchestration.logs.read_many(conn, query))

    def read_events(
        self,
        event_prefix: str | None = None,
        resource_id: str | None = None,
        limit: int | None = 200,
    ) -> list[dict[str, Any]]:
        self.flush()
        return self._read(
            lambda conn: orchestration.events.read_many(conn, event_prefix, resource_id, limit)
        )

    def filter_events(
        self, filter: EventFilter | None = None, limit: int | None = 50
    ) -> list[dict[str, Any]]:
        self.flush()
        return self._read(lambda conn: orchestration.events.query(conn, filter, limit=limit))

    def delete_flow_run(self, flow_run_id: uuid.UUID) -> bool:
        self.flush()
        return self._write(lambda conn: orchestration.flow_runs.delete(conn, flow_run_id))

    def delete_flow(self, flow_id: uuid.UUID) -> bool:
        """Delete a flow with all its runs; False if there was none."""
        self.flush()
        self._flow_ids = {name: i for name, i in self._flow_ids.items() if i != flow_id}
        return self._write(lambda conn: orchestration.flows.delete(conn, flow_id))

    # -- pausing: resume and flow run inputs -----------------------------------------------
    def resume_flow_run(
        self, flow_run_id: uuid.UUID, run_input: Mapping[str, Any] | None = None
    ) -> OrchestrationResult:
        return self._write(lambda conn: orchestration.pauses.resume(conn, flow_run_id, run_input))

    def create_flow_run_input(
        self, flow_run_id: uuid.UUID, key: str, value: str, sender: str | None = None
    ) -> None:
        self._write(
            lambda conn: orchestration.flow_run_inputs.create(conn, flow_run_id, key, value, sender)
        )

    def read_flow_run_input(self, flow_run_id: uuid.UUID, key: str) -> str | None:
        row = self._read(lambda conn: orchestration.flow_run_inputs.read(conn, flow_run_id, key))
        return row["value"] if row is not None else None

    def filter_flow_run_input(
        self, flow_run_id: uuid.UUID, query: FlowRunInputQuery
    ) -> list[dict[str, Any]]:
        return self._read(
            lambda conn: orchestration.flow_run_inputs.filter_by_prefix(
                conn, flow_run_id, query.prefix, query.limit, query.exclude_keys
            )
        )

    def delete_flow_run_input(self, flow_run_id: uuid.UUID, key: str) -> bool:
        return self._write(
            lambda conn: orchestration.flow_run_inputs.delete(conn, flow_run_id, key)
        )

    # -- blocks ---------------------------------------------------------------------------
    def create_block_type(self, block_type: Mapping[str, Any]) -> dict[str, Any]:
        """The block type with ``block_type["slug"]``, created (or its descriptive fields
        refreshed) if needed."""
        return self._write(lambda conn: orchestration.blocks.ensure_type(conn, block_type))

    def read_block_type_by_slug(self, slug: str) -> dict[str, Any] | None:
        return self._read(lambda conn: orchestration.blocks.read_type_by_slug(conn, slug))

    def create_block_document(
        self, block_document: Mapping[str, Any], overwrite: bool = False
    ) -> dict[str, Any]:
        """Save a block document (its block type too, when given as ``block_type``) in one
        transaction; ``ObjectAlreadyExists`` for a taken name unless ``overwrite``."""
        return self._write(
            lambda conn: orchestration.blocks.create_document(conn, block_document, overwrite)
        )

    def read_block_document(self, block_document_id: uuid.UUID) -> dict[str, Any] | None:
        return self._read(lambda conn: orchestration.blocks.read_document(conn, block_document_id))

    def read_block_document_by_name(self, name: str, block_type_slug: str) -> dict[str, Any] | None:
        return self._read(
            lambda conn: orchestration.blocks.read_document_by_name(conn, name, block_type_slug)
        )

    def read_block_documents(
        self, block_type_slug: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[dict[str, Any]]:
        return self._read(
            lambda conn: orchestration.blocks.read_documents(
                conn, block_type_slug, limit=limit, offset=offset
            )
        )

    def update_block_document(self, block_document_id: uuid.UUID, data: Mapping[str, Any]) -> bool:
        return self._write(
            lambda conn: orchestration.blocks.update_document(conn, block_document_id, data)
        )

    def delete_block_document(self, block_document_id: uuid.UUID) -> bool:
        return self._write(
            lambda conn: orchestration.blocks.delete_document(conn, block_document_id)
        )
