"""Prefect's user-facing client: ``SyncPrefectClient`` and its async twin ``PrefectClient``.

Both are thin typed skins over the orchestration client of the current settings: they turn
service-layer rows into ``praefect.schemas.objects`` models with Prefect's field names.

>>> from praefect.client.orchestration import get_client
>>> with get_client(sync_client=True) as client:  # doctest: +SKIP
...     runs = client.read_flow_runs(limit=5)
"""

from __future__ import annotations

import asyncio
import functools
import socket
import uuid
from collections.abc import Callable
from typing import Any

from praefect import exceptions
from praefect.client import get_client
from praefect.client.orchestration_automations import AutomationClientMethods
from praefect.client.orchestration_concurrency import ConcurrencyClientMethods
from praefect.client.orchestration_deployments import DeploymentClientMethods
from praefect.client.orchestration_inputs import InputClientMethods
from praefect.client.orchestration_variables import VariableClientMethods
from praefect.client.orchestration_work_pools import WorkPoolClientMethods
from praefect.schemas import filters, objects, queries, sorting
from praefect.schemas.responses import OrchestrationResult
from praefect.schemas.states import State, StateType

__all__ = ["PrefectClient", "SyncPrefectClient", "get_client"]


def _orchestration_client() -> Any:
    from praefect import client

    return client.get_orchestration_client()


class SyncPrefectClient(
    WorkPoolClientMethods,
    DeploymentClientMethods,
    AutomationClientMethods,
    ConcurrencyClientMethods,
    InputClientMethods,
    VariableClientMethods,
):
    """The synchronous client (``get_client(sync_client=True)``)."""

    def __init__(self, orchestration_client: Any = None) -> None:
        self._client = orchestration_client or _orchestration_client()

    def __enter__(self) -> SyncPrefectClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    # -- health ---------------------------------------------------------------------------
    def hello(self) -> str:
        """A greeting from the orchestrator (proves it answers)."""
        return "👋"

    def api_healthcheck(self) -> Exception | None:
        """None if the database answers, else the exception met."""
        try:
            self._client.check_health()
        except Exception as exc:
            return exc
        return None

    # -- flows ----------------------------------------------------------------------------
    def create_flow(self, flow: Any) -> uuid.UUID:
        """Register a flow (or a flow name); return its id."""
        return self._client.ensure_flow(getattr(flow, "name", flow))

    def create_flow_from_name(self, flow_name: str) -> uuid.UUID:
        return self._client.ensure_flow(flow_name)

    def read_flow(self, flow_id: uuid.UUID) -> objects.Flow:
        row = self._client.read_flow(flow_id)
        if row is None:
            raise exceptions.ObjectNotFound(f"Flow {flow_id} not found.", flow_id=flow_id)
        return objects.Flow.model_validate(row)

    def read_flow_by_name(self, flow_name: str) -> objects.Flow:
        row = self._client.read_flow_by_name(flow_name)
        if row is None:
            raise exceptions.ObjectNotFound(f"Flow {flow_name!r} not found.", name=flow_name)
        return objects.Flow.model_validate(row)

    def read_flows(
        self,
        flow_filter: filters.FlowFilter | None = None,
        flow_run_filter: filters.FlowRunFilter | None = None,
        task_run_filter: filters.TaskRunFilter | None = None,
        limit: int | None = None,
        offset: int = 0,
        **_: Any,
    ) -> list[objects.Flow]:
        query = queries.FlowQuery.of(
            flows=flow_filter,
            flow_runs=flow_run_filter,
            task_runs=task_run_filter,
            limit=limit,
            offset=offset,
        )
        return [objects.Flow.model_validate(row) for row in self._client.read_flows(query)]

    def delete_flow(self, flow_id: uuid.UUID) -> None:
        """Delete a flow with all its runs (their states, task runs and logs)."""
        if not self._client.delete_flow(uuid.UUID(str(flow_id))):
            raise exceptions.ObjectNotFound(f"Flow {flow_id} not found.", flow_id=flow_id)

    # -- flow runs ------------------------------------------------------------------------
    def create_flow_run(
        self,
        flow: Any,
        name: str | None = None,
        parameters: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        parent_task_run_id: uuid.UUID | None = None,
        state: State | None = None,
        **_: Any,
    ) -> objects.FlowRun:
        """Create a flow run of ``flow`` (a flow object or a name), Pending unless ``state``."""
        flow_id = self._client.ensure_flow(getattr(flow, "name", flow))
        run_id = uuid.uuid4()
        retry_delay = getattr(flow, "retry_delay_seconds", None)
        self._client.create_flow_run(
            {
                "id": run_id,
                "name": name or f"{getattr(flow, 'name', flow)}-{run_id.hex[:8]}",
                "flow_id": flow_id,
                "flow_version": getattr(flow, "version", None),
                "parameters": parameters or {},
                "tags": list(tags or []),
                "parent_task_run_id": parent_task_run_id,
                "empirical_policy": {
                    "retries": getattr(flow, "retries", None) or 0,
                    "retry_delay": retry_delay if retry_delay is not None else [0.0],
                },
                "state": state or State(StateType.PENDING),
                "hostname": socket.gethostname(),
            }
        )
        return self.read_flow_run(run_id)

    def read_flow_run(self, flow_run_id: uuid.UUID) -> objects.FlowRun:
        row = self._client.read_flow_run(flow_run_id)
        if row is None:
            raise exceptions.FlowRunNotFound(
                f"Flow run {flow_run_id} not found.", flow_run_id=flow_run_id
            )
        return objects.FlowRun.from_row(row)

    def read_flow_runs(
        self,
        flow_filter: filters.FlowFilter | None = None,
        flow_run_filter: filters.FlowRunFilter | None = None,
        task_run_filter: filters.TaskRunFilter | None = None,
        deployment_filter: filters.DeploymentFilter | None = None,
        sort: sorting.FlowRunSort | None = None,
        limit: int | None = None,
        offset: int = 0,
        **_: Any,
    ) -> list[objects.FlowRun]:
        """Flow runs matching the filters, newest first unless ``sort`` says otherwise."""
        query = queries.FlowRunQuery.of(
            flows=flow_filter,
            flow_runs=flow_run_filter,
            task_runs=task_run_filter,
            deployments=deployment_filter,
            sort=sort,
            limit=limit,
            offset=offset,
        )
        return [objects.FlowRun.from_row(row) for row in self._client.read_flow_runs(query)]

    def count_flow_runs(
        self,
        flow_filter: filters.FlowFilter | None = None,
        flow_run_filter: filters.FlowRunFilter | None = None,
        task_run_filter: filters.TaskRunFilter | None = None,
        deployment_filter: filters.DeploymentFilter | None = None,
        **_: Any,
    ) -> int:
        criteria = queries.FlowRunCriteria(
            flows=flow_filter,
            flow_runs=flow_run_filter,
            task_runs=task_run_filter,
            deployments=deployment_filter,
        )
        return self._client.count_flow_runs(criteria)

    def read_flow_run_states(self, flow_run_id: uuid.UUID) -> list[State]:
        return self._client.read_flow_run_states(flow_run_id)

    def set_flow_run_state(
        self, flow_run_id: uuid.UUID, state: State, force: bool = False
    ) -> OrchestrationResult:
        """Propose a state for a flow run; the orchestration rules answer."""
        return self._client.set_flow_run_state(uuid.UUID(str(flow_run_id)), state, force)

    def update_flow_run(self, flow_run_id: uuid.UUID, **fields: Any) -> None:
        fields = {key: value for key, value in fields.items() if value is not None}
        self._client.update_flow_run(flow_run_id, **fields)

    def delete_flow_run(self, flow_run_id: uuid.UUID) -> None:
        """Delete a flow run with its states, task runs and logs."""
        if not self._client.delete_flow_run(flow_run_id):
            raise exceptions.ObjectNotFound(
                f"Flow run {flow_run_id} not found.", flow_run_id=flow_run_id
            )

    # -- task runs ------------------------------------------------------------------------
    def read_task_run(self, task_run_id: uuid.UUID) -> objects.TaskRun:
        row = self._client.read_task_run(task_run_id)
        if row is None:
            raise exceptions.TaskRunNotFound(
                f"Task run {task_run_id} not found.", task_run_id=task_run_id
            )
        return objects.TaskRun.from_row(row)

    def read_task_runs(
        self,
        flow_filter: filters.FlowFilter | None = None,
        flow_run_filter: filters.FlowRunFilter | None = None,
        task_run_filter: filters.TaskRunFilter | None = None,
        sort: sorting.TaskRunSort | None = None,
        limit: int | None = None,
        offset: int = 0,
        **_: Any,
    ) -> list[objects.TaskRun]:
        query = queries.TaskRunQuery.of(
            flows=flow_filter,
            flow_runs=flow_run_filter,
            task_runs=task_run_filter,
            sort=sort,
            limit=limit,
            offset=offset,
        )
        return [objects.TaskRun.from_row(row) for row in self._client.read_task_runs(query)]

    def count_task_runs(
        self,
        flow_filter: filters.FlowFilter | None = None,
        flow_run_filter: filters.FlowRunFilter | None = None,
        task_run_filter: filters.TaskRunFilter | None = None,
    ) -> int:
        criteria = queries.TaskRunCriteria(
            flows=flow_filter, flow_runs=flow_run_filter, task_runs=task_run_filter
        )
        return self._client.count_task_runs(criteria)

    def read_task_run_states(self, task_run_id: uuid.UUID) -> list[State]:
        return self._client.read_task_run_states(task_run_id)

    # -- logs -----------------------------------------------------------------------------
    def read_logs(
        self,
        log_filter: filters.LogFilter | None = None,
        limit: int | None = None,
        offset: int = 0,
        sort: sorting.LogSort | None = None,
    ) -> list[objects.Log]:
        """Stored logs (this process's queued ones included), oldest first by default."""
        query = queries.LogQuery.of(logs=log_filter, limit=limit, offset=offset, sort=sort)
        return [objects.Log.model_validate(row) for row in self._client.read_logs(query)]

    # -- blocks ---------------------------------------------------------------------------
    def create_block_type(self, block_type: Any) -> objects.BlockType:
        """Create the block type (a mapping or model with ``slug``, ``name``, ...), or refresh
        the descriptive fields of the existing one with that slug."""
        row = self._client.create_block_type(_as_dict(block_type))
        return objects.BlockType.model_validate(row)

    def read_block_type_by_slug(self, slug: str) -> objects.BlockType:
        row = self._client.read_block_type_by_slug(slug)
        if row is None:
            raise exceptions.ObjectNotFound(f"Block type {slug!r} not found.", slug=slug)
        return objects.BlockType.model_validate(row)

    def create_block_document(
        self, block_document: Any, include_secrets: bool = True
    ) -> objects.BlockDocument:
        """Save a block document (a mapping or model with ``name``, ``data`` and
        ``block_type_id`` or ``block_type``); ``ObjectAlreadyExists`` if the name is taken for
        its block type."""
        row = self._client.create_block_document(_as_dict(block_document))
        return objects.BlockDocument.model_validate(row)

    def update_block_document(self, block_document_id: uuid.UUID, block_document: Any) -> None:
        """Replace the ``data`` of a block document."""
        data = _as_dict(block_document).get("data") or {}
        if not self._client.update_block_document(uuid.UUID(str(block_document_id)), data):
            raise exceptions.ObjectNotFound(
                f"Block document {block_document_id} not found.", id=block_document_id
            )

    def read_block_document(
        self, block_document_id: uuid.UUID, include_secrets: bool = True
    ) -> objects.BlockDocument:
        row = self._client.read_block_document(uuid.UUID(str(block_document_id)))
        if row is None:
            raise exceptions.ObjectNotFound(
                f"Block document {block_document_id} not found.", id=block_document_id
            )
        return objects.BlockDocument.model_validate(row)

    def read_block_document_by_name(
        self, name: str, block_type_slug: str, include_secrets: bool = True
    ) -> objects.BlockDocument:
        row = self._client.read_block_document_by_name(name, block_type_slug)
        if row is None:
            raise exceptions.ObjectNotFound(
                f"Block document {name!r} of block type {block_type_slug!r} not found.",
                name=name,
                block_type_slug=block_type_slug,
            )
        return objects.BlockDocument.model_validate(row)

    def read_block_documents(
        self,
        block_schema_type: str | None = None,
        offset: int | None = None,
        limit: int | None = None,
        include_secrets: bool = True,
    ) -> list[objects.BlockDocument]:
        """Saved (non-anonymous) block documents, by block type slug then name."""
        rows = self._client.read_block_documents(limit=limit, offset=offset or 0)
        return [objects.BlockDocument.model_validate(row) for row in rows]

    def read_block_documents_by_type(
        self,
        block_type_slug: str,
        offset: int | None = None,
        limit: int | None = None,
        include_secrets: bool = True,
    ) -> list[objects.BlockDocument]:
        rows = self._client.read_block_documents(
            block_type_slug=block_type_slug, limit=limit, offset=offset or 0
        )
        return [objects.BlockDocument.model_validate(row) for row in rows]

    def delete_block_document(self, block_document_id: uuid.UUID) -> None:
        if not self._client.delete_block_document(uuid.UUID(str(block_document_id))):
            raise exceptions.ObjectNotFound(
                f"Block document {block_document_id} not found.", id=block_document_id
            )


def _as_dict(value: Any) -> dict[str, Any]:
    """A mapping, or a pydantic model's fields that were set."""
    if hasattr(value, "model_dump"):
        return value.model_dump(exclude_unset=True)
    return dict(value)


def _async_twin(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def call(self: PrefectClient, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(getattr(self._sync, name), *args, **kwargs)

    return call


class PrefectClient:
    """The asynchronous client (``async with get_client() as client``): the same methods as
    ``SyncPrefectClient``, awaited (the database work runs in a worker thread)."""

    def __init__(self, orchestration_client: Any = None) -> None:
        self._sync = SyncPrefectClient(orchestration_client)

    async def __aenter__(self) -> PrefectClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    def __enter__(self) -> PrefectClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


# Every public method, those of the mixins included (each resource's methods live in a mixin).
for _class in reversed(SyncPrefectClient.__mro__[:-1]):
    for _name, _method in list(vars(_class).items()):
        if not _name.startswith("_") and callable(_method):
            setattr(PrefectClient, _name, _async_twin(_name, _method))
