"""The one door from the SDK to orchestration: the ``OrchestrationClient`` protocol.

Two implementations, which differ only in how the call travels: ``EmbeddedClient`` (in-process,
straight onto the service layer, ``praefect.orchestration``) and ``HttpClient`` (the REST API of
a praefect server). Every operation the two share is declared here once, typed; a test
(``tests/client/test_door_protocol.py``) compares each door's ``inspect.signature`` with this
one and fails when a door lacks an operation or spells it differently. A new operation is
added here first, then to both doors. Reads take the query objects of
``praefect.schemas.queries`` (Prefect's request bodies); rows come back as dicts, as the
service layer gives them. See ``docs/internals/doors.md``.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from praefect.schemas.responses import OrchestrationResult
from praefect.schemas.states import State

if TYPE_CHECKING:  # pydantic models: a plain flow run never imports them
    from praefect.schemas.artifacts import (
        ArtifactCollectionCriteria,
        ArtifactCollectionQuery,
        ArtifactCriteria,
        ArtifactQuery,
    )
    from praefect.schemas.automations import AutomationCore, AutomationCriteria, AutomationQuery
    from praefect.schemas.concurrency import (
        ConcurrencyLimitCreate,
        ConcurrencySlotsRequest,
        GlobalConcurrencyLimitCreate,
        GlobalConcurrencyLimitUpdate,
    )
    from praefect.schemas.events import Event, EventFilter
    from praefect.schemas.filters import TaskWorkerFilter
    from praefect.schemas.queries import (
        DeploymentCriteria,
        DeploymentQuery,
        FlowQuery,
        FlowRunCriteria,
        FlowRunInputQuery,
        FlowRunQuery,
        LogQuery,
        TaskRunCriteria,
        TaskRunQuery,
        WorkerQuery,
        WorkPoolQuery,
        WorkQueueQuery,
    )
    from praefect.schemas.variables import VariableCriteria, VariableQuery

__all__ = ["OrchestrationClient"]


@runtime_checkable
class OrchestrationClient(Protocol):
    """What the SDK needs from the orchestrator (all methods are sync and thread-safe). A
    ``query`` of None reads every record in the family's default order.

    >>> from praefect.client import get_orchestration_client
    >>> isinstance(get_orchestration_client(), OrchestrationClient)  # doctest: +SKIP
    True
    """

    # -- what the engine calls --------------------------------------------------------------
    def ensure_flow(self, name: str) -> uuid.UUID:
        """The id of the flow called ``name``, created if needed (idempotent, cached)."""
        ...

    def create_flow_run(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Create a flow run and its first state ``row["state"]`` (synchronously), or return
        the existing one with the same ``id`` or the same flow and ``idempotency_key``;
        ``FlowNotFound`` when ``row["flow_id"]`` names no flow."""
        ...

    def set_flow_run_state(
        self, flow_run_id: uuid.UUID, state: State, force: bool = False
    ) -> OrchestrationResult:
        """Propose a state; the orchestrator's rules answer (synchronously)."""
        ...

    def update_flow_run(self, flow_run_id: uuid.UUID, **fields: Any) -> None:
        """Change plain fields of a flow run (name, parameters, ...)."""
        ...

    def update_flow_run_labels(self, flow_run_id: uuid.UUID, labels: Mapping[str, Any]) -> None:
        """Set these labels on a flow run, keeping its others."""
        ...

    def enqueue_task_run(self, row: Mapping[str, Any], state: State | None) -> None:
        """Queue the whole current row of a task run and its new state (write-behind)."""
        ...

    def enqueue_logs(self, rows: list[Mapping[str, Any]]) -> None:
        """Queue log rows (write-behind)."""
        ...

    def enqueue_events(self, events: list[Event]) -> None:
        """Queue validated events (write-behind; over HTTP each batch is acknowledged)."""
        ...

    def flush(self, timeout: float | None = None) -> None:
        """Block until everything queued so far is committed."""
        ...

    def close(self) -> None:
        """Flush and release connections."""
        ...

    # -- flows and flow runs ----------------------------------------------------------------
    def read_flow(self, flow_id: uuid.UUID) -> dict[str, Any] | None:
        """The flow with this id, or None."""
        ...

    def read_flow_by_name(self, name: str) -> dict[str, Any] | None:
        """The flow called ``name``, or None."""
        ...

    def check_health(self) -> None:
        """Raise at once (no retries) if the orchestrator cannot answer now."""
        ...

    def read_flows(self, query: FlowQuery | None = None) -> list[dict[str, Any]]:
        """The flows of ``query``, by name."""
        ...

    def delete_flow(self, flow_id: uuid.UUID) -> bool:
        """Delete a flow with all its runs; False if there was none."""
        ...

    def read_flow_run(self, flow_run_id: uuid.UUID) -> dict[str, Any] | None:
        """The flow run as a dict with its current ``state``, or None."""
        ...

    def read_flow_runs(self, query: FlowRunQuery | None = None) -> list[dict[str, Any]]:
        """The flow runs of ``query``, each with its current ``state``."""
        ...

    def count_flow_runs(self, criteria: FlowRunCriteria | None = None) -> int:
        """How many flow runs match."""
        ...

    def read_flow_run_states(self, flow_run_id: uuid.UUID) -> list[State]:
        """A flow run's state history, oldest first."""
        ...

    def delete_flow_run(self, flow_run_id: uuid.UUID) -> bool:
        """Delete a flow run with its states, task runs and logs; False if there was none."""
        ...

    # -- pausing: resume and flow run inputs -------------------------------------------------
    def resume_flow_run(
        self, flow_run_id: uuid.UUID, run_input: Mapping[str, Any] | None = None
    ) -> OrchestrationResult:
        """Resume a paused flow run with ``run_input``; ``NotPausedError`` (with its
        ``state``) when it is not paused, ``ValueError`` naming the field when the input does
        not fit the schema the run asked for (it stays paused)."""
        ...

    def create_flow_run_input(
        self, flow_run_id: uuid.UUID, key: str, value: str, sender: str | None = None
    ) -> None:
        """Save an input (JSON text) for a flow run; ``ObjectAlreadyExists`` for a taken key."""
        ...

    def read_flow_run_input(self, flow_run_id: uuid.UUID, key: str) -> str | None:
        """The JSON text of a flow run's input with this key, or None."""
        ...

    def filter_flow_run_input(
        self, flow_run_id: uuid.UUID, query: FlowRunInputQuery
    ) -> list[dict[str, Any]]:
        """A flow run's inputs whose key starts with ``query.prefix``, oldest first."""
        ...

    def delete_flow_run_input(self, flow_run_id: uuid.UUID, key: str) -> bool:
        """Delete a flow run's input; False when there was none."""
        ...

    # -- task runs, logs, events (the queue is flushed first) -------------------------------
    def read_task_run(self, task_run_id: uuid.UUID) -> dict[str, Any] | None:
        """The task run as a dict with its current ``state``, or None."""
        ...

    def read_task_runs(self, query: TaskRunQuery | None = None) -> list[dict[str, Any]]:
        """The task runs of ``query``, each with its current ``state``."""
        ...

    def count_task_runs(self, criteria: TaskRunCriteria | None = None) -> int:
        """How many task runs match."""
        ...

    def read_task_run_states(self, task_run_id: uuid.UUID) -> list[State]:
        """A task run's state history, oldest first."""
        ...

    def read_logs(self, query: LogQuery | None = None) -> list[dict[str, Any]]:
        """The log lines of ``query``, oldest first by default."""
        ...

    def read_events(
        self,
        event_prefix: str | None = None,
        resource_id: str | None = None,
        limit: int | None = 200,
    ) -> list[dict[str, Any]]:
        """Events, oldest first: those named ``event_prefix...``, about ``resource_id``."""
        ...

    def filter_events(
        self, filter: EventFilter | None = None, limit: int | None = 50
    ) -> list[dict[str, Any]]:
        """The events matching ``filter`` (Prefect's ``EventFilter``), newest first unless its
        ``order`` is ``ASC``; ``limit`` None: every match."""
        ...

    # -- background tasks and task workers --------------------------------------------------
    def schedule_task_run(self, row: Mapping[str, Any], state: State) -> dict[str, Any]:
        """Create a background task run (no flow run) in ``state`` (Scheduled), at once, for a
        task worker to claim; return it."""
        ...

    def claim_task_runs(
        self, task_keys: Sequence[str], client_id: str, limit: int = 1, timeout: float = 0.0
    ) -> list[dict[str, Any]]:
        """Take up to ``limit`` Scheduled background runs of ``task_keys`` for the task worker
        ``client_id`` (each now Pending, given to this worker only), waiting up to ``timeout``
        seconds for one when none is ready."""
        ...

    def send_task_worker_heartbeat(self, client_id: str, task_keys: Sequence[str]) -> None:
        """Record that a task worker is alive; the runs of workers that are gone are marked
        Crashed (and scheduled again when they have retries left)."""
        ...

    def remove_task_worker(self, client_id: str) -> bool:
        """Forget a stopped task worker; False when there was none."""
        ...

    def read_task_workers(
        self, task_worker_filter: TaskWorkerFilter | None = None
    ) -> list[dict[str, Any]]:
        """The task workers (serving any of the filter's task keys), latest heartbeat first."""
        ...

    # -- blocks -----------------------------------------------------------------------------
    def create_block_type(self, block_type: Mapping[str, Any]) -> dict[str, Any]:
        """The block type with ``block_type["slug"]``, created (or refreshed) if needed."""
        ...

    def read_block_type_by_slug(self, slug: str) -> dict[str, Any] | None:
        """The block type with this slug, or None."""
        ...

    def create_block_document(
        self, block_document: Mapping[str, Any], overwrite: bool = False
    ) -> dict[str, Any]:
        """Save a block document (its block type too, when given as ``block_type``);
        ``ObjectAlreadyExists`` for a taken name unless ``overwrite``."""
        ...

    def read_block_document(self, block_document_id: uuid.UUID) -> dict[str, Any] | None:
        """The block document (its block type nested), or None."""
        ...

    def read_block_document_by_name(self, name: str, block_type_slug: str) -> dict[str, Any] | None:
        """The block document ``name`` of the block type ``block_type_slug``, or None."""
        ...

    def read_block_documents(
        self, block_type_slug: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Saved block documents (of one block type, when given), by type slug then name."""
        ...

    def update_block_document(self, block_document_id: uuid.UUID, data: Mapping[str, Any]) -> bool:
        """Replace a block document's ``data``; False when there is none."""
        ...

    def delete_block_document(self, block_document_id: uuid.UUID) -> bool:
        """Delete a block document; False when there was none."""
        ...

    # -- variables ------------------------------------------------------------------------
    def create_variable(self, variable: Mapping[str, Any]) -> dict[str, Any]:
        """Create a variable (``name``, ``value``, ``tags``); ``ObjectAlreadyExists`` when the
        name is taken, ``InvalidNameError`` / ``ValueError`` for a bad name or value."""
        ...

    def read_variable(self, variable_id: uuid.UUID) -> dict[str, Any] | None:
        """The variable with this id, or None."""
        ...

    def read_variable_by_name(self, name: str) -> dict[str, Any] | None:
        """The variable called ``name``, or None."""
        ...

    def read_variables(self, query: VariableQuery | None = None) -> list[dict[str, Any]]:
        """The variables of ``query``, by name."""
        ...

    def count_variables(self, criteria: VariableCriteria | None = None) -> int:
        """How many variables match."""
        ...

    def update_variable_by_name(self, name: str, changes: Mapping[str, Any]) -> bool:
        """Change the ``name``, ``value`` or ``tags`` given; False when there is none."""
        ...

    def delete_variable_by_name(self, name: str) -> bool:
        """Delete the variable called ``name``; False when there was none."""
        ...

    # -- artifacts (the queue is flushed before each read and change) ------------------------
    def create_artifact(self, artifact: Mapping[str, Any]) -> dict[str, Any]:
        """Create an artifact now and return it (``InvalidNameError`` for a bad key)."""
        ...

    def enqueue_artifact(self, artifact: Mapping[str, Any]) -> uuid.UUID:
        """Queue a new artifact (write-behind: the hot path of ``create_*_artifact`` in a run)
        and return its id; its key is checked now (``InvalidNameError``)."""
        ...

    def read_artifact(self, artifact_id: uuid.UUID) -> dict[str, Any] | None:
        """The artifact with this id, or None."""
        ...

    def read_latest_artifact(self, key: str) -> dict[str, Any] | None:
        """The latest version of ``key`` (with ``latest_id``), or None."""
        ...

    def read_artifacts(self, query: ArtifactQuery | None = None) -> list[dict[str, Any]]:
        """The artifacts (every version) of ``query``."""
        ...

    def count_artifacts(self, criteria: ArtifactCriteria | None = None) -> int:
        """How many artifacts (every version) match."""
        ...

    def read_latest_artifacts(
        self, query: ArtifactCollectionQuery | None = None
    ) -> list[dict[str, Any]]:
        """The latest version of each key of ``query``."""
        ...

    def count_latest_artifacts(self, criteria: ArtifactCollectionCriteria | None = None) -> int:
        """How many keys match, by their latest version."""
        ...

    def update_artifact(self, artifact_id: uuid.UUID, changes: Mapping[str, Any]) -> bool:
        """Change ``data``, ``description`` or ``metadata_``; False when there is none."""
        ...

    def delete_artifact(self, artifact_id: uuid.UUID) -> bool:
        """Delete one artifact (the version before becomes the latest); False if none."""
        ...

    # -- work pools, queues, workers --------------------------------------------------------
    def create_work_pool(self, work_pool: Mapping[str, Any]) -> dict[str, Any]:
        """Create a work pool with its ``default`` queue (``ObjectAlreadyExists`` if taken)."""
        ...

    def read_work_pool(self, name: str) -> dict[str, Any] | None:
        """The work pool called ``name``, or None."""
        ...

    def read_work_pools(self, query: WorkPoolQuery | None = None) -> list[dict[str, Any]]:
        """The work pools of ``query``, by name."""
        ...

    def update_work_pool(self, name: str, fields: Mapping[str, Any]) -> bool:
        """Change a work pool; False when there is none."""
        ...

    def delete_work_pool(self, name: str) -> bool:
        """Delete a work pool with its queues; False when there was none."""
        ...

    def create_work_queue(
        self, work_pool_name: str, work_queue: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Create a queue in a pool."""
        ...

    def read_work_queue(self, work_queue_id: uuid.UUID) -> dict[str, Any] | None:
        """The work queue with this id, or None."""
        ...

    def read_work_queue_by_name(self, work_pool_name: str, name: str) -> dict[str, Any] | None:
        """The queue ``name`` of a pool, or None."""
        ...

    def read_work_queues(
        self, work_pool_name: str | None = None, query: WorkQueueQuery | None = None
    ) -> list[dict[str, Any]]:
        """The queues of ``query`` (of one pool, when named), by priority."""
        ...

    def update_work_queue(self, work_queue_id: uuid.UUID, fields: Mapping[str, Any]) -> bool:
        """Change a queue; False when there is none."""
        ...

    def delete_work_queue(self, work_queue_id: uuid.UUID) -> bool:
        """Delete a queue; False when there was none."""
        ...

    def send_worker_heartbeat(
        self, work_pool_name: str, worker_name: str, heartbeat_interval_seconds: float | None = None
    ) -> None:
        """Record that a worker of the pool is alive."""
        ...

    def read_workers(
        self, work_pool_name: str, query: WorkerQuery | None = None
    ) -> list[dict[str, Any]]:
        """The workers of ``query`` in a pool, latest heartbeat first."""
        ...

    def delete_worker(self, work_pool_name: str, worker_name: str) -> bool:
        """Forget a worker; False when there was none."""
        ...

    def get_scheduled_flow_runs_for_work_pool(
        self,
        work_pool_name: str,
        work_queue_names: Sequence[str] | None = None,
        scheduled_before: _dt.datetime | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """``{"work_pool_id", "work_queue_id", "flow_run"}`` of each due Scheduled run."""
        ...

    def get_scheduled_flow_runs_for_deployments(
        self,
        deployment_ids: Sequence[uuid.UUID],
        scheduled_before: _dt.datetime | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """The due Scheduled runs of these deployments (for ``serve()``)."""
        ...

    # -- deployments ------------------------------------------------------------------------
    def create_deployment(self, deployment: Mapping[str, Any]) -> dict[str, Any]:
        """Create a deployment, or update the one with the same flow and name."""
        ...

    def read_deployment(self, deployment_id: uuid.UUID) -> dict[str, Any] | None:
        """The deployment with its ``schedules``, or None."""
        ...

    def read_deployment_by_name(self, flow_name: str, name: str) -> dict[str, Any] | None:
        """The deployment ``name`` of the flow ``flow_name``, or None."""
        ...

    def read_deployments(self, query: DeploymentQuery | None = None) -> list[dict[str, Any]]:
        """The deployments of ``query``, each with its ``schedules``."""
        ...

    def count_deployments(self, criteria: DeploymentCriteria | None = None) -> int:
        """How many deployments match."""
        ...

    def update_deployment(self, deployment_id: uuid.UUID, changes: Mapping[str, Any]) -> bool:
        """Change fields of a deployment; False when there is none."""
        ...

    def delete_deployment(self, deployment_id: uuid.UUID) -> bool:
        """Delete a deployment and its schedules; False when there was none."""
        ...

    def pause_deployment(self, deployment_id: uuid.UUID) -> bool:
        """Stop scheduling runs of a deployment; False when there is none."""
        ...

    def resume_deployment(self, deployment_id: uuid.UUID) -> bool:
        """Schedule runs of a deployment again; False when there is none."""
        ...

    def create_flow_run_from_deployment(
        self, deployment_id: uuid.UUID, run: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Create a run of a deployment (parameters checked against its schema)."""
        ...

    def read_deployment_schedules(self, deployment_id: uuid.UUID) -> list[dict[str, Any]]:
        """A deployment's schedules."""
        ...

    def create_deployment_schedules(
        self, deployment_id: uuid.UUID, schedules: list[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Add schedules to a deployment; return them as stored."""
        ...

    def update_deployment_schedule(
        self, deployment_id: uuid.UUID, schedule_id: uuid.UUID, changes: Mapping[str, Any]
    ) -> bool:
        """Change one schedule of a deployment; False when there is none."""
        ...

    def delete_deployment_schedule(self, deployment_id: uuid.UUID, schedule_id: uuid.UUID) -> bool:
        """Delete one schedule of a deployment; False when there was none."""
        ...

    # -- automations ------------------------------------------------------------------------
    def create_automation(self, automation: AutomationCore) -> dict[str, Any]:
        """Create an automation; ``ValueError`` when an action names a deployment (work pool,
        queue, automation) that does not exist."""
        ...

    def read_automation(self, automation_id: uuid.UUID) -> dict[str, Any] | None:
        """The automation with this id, or None."""
        ...

    def read_automations(self, query: AutomationQuery | None = None) -> list[dict[str, Any]]:
        """The automations of ``query``, by name unless its ``sort``."""
        ...

    def count_automations(self, criteria: AutomationCriteria | None = None) -> int:
        """How many automations match."""
        ...

    def update_automation(self, automation_id: uuid.UUID, automation: AutomationCore) -> bool:
        """Replace an automation; False when there is none."""
        ...

    def set_automation_enabled(self, automation_id: uuid.UUID, enabled: bool) -> bool:
        """Enable or disable an automation; False when there is none."""
        ...

    def delete_automation(self, automation_id: uuid.UUID) -> bool:
        """Delete an automation; False when there was none."""
        ...

    def read_automations_related_to(self, resource_id: str) -> list[dict[str, Any]]:
        """The automations that belong to ``resource_id`` or act on it."""
        ...

    def delete_automations_owned_by(self, resource_id: str) -> None:
        """Delete the automations ``resource_id`` owns."""
        ...

    # -- concurrency limits -----------------------------------------------------------------
    def create_global_concurrency_limit(
        self, concurrency_limit: GlobalConcurrencyLimitCreate
    ) -> dict[str, Any]:
        """Create a global limit (``ObjectAlreadyExists`` when the name is taken)."""
        ...

    def read_global_concurrency_limit(self, id_or_name: str) -> dict[str, Any] | None:
        """The global limit with this id or name (``active_slots``: its live slots), or None."""
        ...

    def read_global_concurrency_limits(
        self, limit: int | None = None, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Global limits (tag limits included, named ``tag:<tag>``), by name."""
        ...

    def update_global_concurrency_limit(
        self, id_or_name: str, changes: GlobalConcurrencyLimitUpdate
    ) -> bool:
        """Change fields of a global limit; False when there is none."""
        ...

    def delete_global_concurrency_limit(self, id_or_name: str) -> bool:
        """Delete a global limit with its slots; False when there was none."""
        ...

    def read_concurrency_leases(self, id_or_name: str) -> list[dict[str, Any]] | None:
        """Who holds a limit's live slots, one dict per lease, oldest first; None when there is
        no such limit."""
        ...

    def acquire_concurrency_slots(self, request: ConcurrencySlotsRequest) -> dict[str, Any]:
        """Take slots of every named limit, all or none, under one lease: ``lease_id`` (None
        when refused now), ``limits`` (those that apply), ``blocked`` and ``retry_after``."""
        ...

    def release_concurrency_lease(self, lease_id: uuid.UUID) -> bool:
        """Give back a lease's slots; False when it held none any more."""
        ...

    def renew_concurrency_lease(self, lease_id: uuid.UUID, lease_duration: float) -> bool:
        """Keep a lease's slots ``lease_duration`` seconds more; False when it has expired."""
        ...

    def release_concurrency_slots(
        self, names: list[str], slots: int, occupancy_seconds: float | None = None
    ) -> list[dict[str, Any]]:
        """Give back ``slots`` slots of each named limit taken without a lease; the limits."""
        ...

    def release_tag_concurrency_slots(
        self, tags: list[str], task_run_id: uuid.UUID
    ) -> list[dict[str, Any]]:
        """A task run gives back its slots of its tags' limits; the limits."""
        ...

    def create_tag_concurrency_limit(
        self, concurrency_limit: ConcurrencyLimitCreate
    ) -> dict[str, Any]:
        """Create the limit of a tag, or change its size."""
        ...

    def read_tag_concurrency_limit(self, tag: str) -> dict[str, Any] | None:
        """The limit of a tag (``active_slots``: its holders' task run ids), or None."""
        ...

    def read_tag_concurrency_limits(
        self, limit: int | None = None, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Tag limits, by tag."""
        ...

    def reset_tag_concurrency_limit(
        self, tag: str, slot_override: list[uuid.UUID] | None = None
    ) -> bool:
        """Free every slot of a tag's limit; False when the tag has no limit."""
        ...

    def delete_tag_concurrency_limit(self, tag: str) -> bool:
        """Delete the limit of a tag; False when there was none."""
        ...
