"""The deployment methods of ``SyncPrefectClient`` (and so, awaited, of ``PrefectClient``),
with Prefect 3's names and arguments, kept in a mixin of their own.

>>> from praefect.client.orchestration import get_client
>>> with get_client(sync_client=True) as client:  # doctest: +SKIP
...     deployment = client.read_deployment_by_name("etl/nightly")
...     run = client.create_flow_run_from_deployment(deployment.id, parameters={"n": 2})
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from praefect import exceptions
from praefect.schemas import filters, objects, queries, sorting, work_pools
from praefect.schemas import schedules as _schedules
from praefect.schemas.states import State

__all__ = ["DeploymentClientMethods"]


def _not_found(deployment_id: Any) -> exceptions.ObjectNotFound:
    return exceptions.ObjectNotFound(
        f"Deployment {deployment_id} not found.", deployment_id=deployment_id
    )


def _schedule_create(item: Any) -> dict[str, Any]:
    """A schedule to add, from a ``DeploymentScheduleCreate`` (or a mapping of its fields), a
    ``(schedule, active)`` pair as Prefect's client takes, a bare schedule, or a
    ``praefect.schedules.Cron(...)``/``Interval(...)``/``RRule(...)``."""
    if isinstance(item, _schedules.DeploymentScheduleCreate):
        return item.model_dump(mode="json")
    if isinstance(item, tuple):
        schedule, active = item
        return {"schedule": schedule, "active": active}
    if _schedules.is_schedule_type(item):
        return {"schedule": item}
    to_wire = getattr(item, "to_wire", None)  # a praefect.schedules.Schedule (Cron(...), ...)
    if to_wire is not None:
        return {
            "schedule": to_wire(),
            "active": item.active,
            "parameters": dict(item.parameters),
            "slug": item.slug,
        }
    return dict(item)


class DeploymentClientMethods:
    """Mixed into ``SyncPrefectClient`` (which provides ``_client``)."""

    _client: Any

    def create_deployment(
        self,
        flow_id: uuid.UUID,
        name: str,
        version: str | None = None,
        schedules: Iterable[Any] | None = None,
        concurrency_limit: int | None = None,
        parameters: dict[str, Any] | None = None,
        description: str | None = None,
        work_queue_name: str | None = None,
        work_pool_name: str | None = None,
        tags: list[str] | None = None,
        path: str | None = None,
        entrypoint: str | None = None,
        parameter_openapi_schema: dict[str, Any] | None = None,
        paused: bool | None = None,
        pull_steps: list[dict[str, Any]] | None = None,
        enforce_parameter_schema: bool | None = None,
        job_variables: dict[str, Any] | None = None,
        **_: Any,
    ) -> uuid.UUID:
        """Create a deployment of a flow, or update the one of that flow with that ``name``;
        return its id."""
        values = {
            "flow_id": uuid.UUID(str(flow_id)),
            "name": name,
            "version": version,
            "concurrency_limit": concurrency_limit,
            "parameters": parameters,
            "description": description,
            "work_queue_name": work_queue_name,
            "work_pool_name": work_pool_name,
            "tags": list(tags) if tags is not None else None,
            "path": path,
            "entrypoint": entrypoint,
            "parameter_openapi_schema": parameter_openapi_schema,
            "paused": paused,
            "pull_steps": pull_steps,
            "enforce_parameter_schema": enforce_parameter_schema,
            "job_variables": job_variables,
        }
        deployment = {key: value for key, value in values.items() if value is not None}
        deployment["schedules"] = [_schedule_create(s) for s in schedules or ()]
        return self._client.create_deployment(deployment)["id"]

    def read_deployment(self, deployment_id: uuid.UUID | str) -> objects.Deployment:
        row = self._client.read_deployment(uuid.UUID(str(deployment_id)))
        if row is None:
            raise _not_found(deployment_id)
        return objects.Deployment.model_validate(row)

    def read_deployment_by_name(self, name: str) -> objects.Deployment:
        """The deployment called ``"flow-name/deployment-name"``."""
        flow_name, slash, deployment_name = name.partition("/")
        if not slash or not flow_name or not deployment_name:
            raise ValueError(
                f"Deployment name {name!r} is not valid: expected 'flow-name/deployment-name'."
            )
        row = self._client.read_deployment_by_name(flow_name, deployment_name)
        if row is None:
            raise exceptions.ObjectNotFound(f"Deployment {name!r} not found.", name=name)
        return objects.Deployment.model_validate(row)

    def read_deployments(
        self,
        flow_filter: filters.FlowFilter | None = None,
        flow_run_filter: filters.FlowRunFilter | None = None,
        task_run_filter: filters.TaskRunFilter | None = None,
        deployment_filter: filters.DeploymentFilter | None = None,
        work_pool_filter: work_pools.WorkPoolFilter | None = None,
        work_queue_filter: work_pools.WorkQueueFilter | None = None,
        limit: int | None = None,
        sort: sorting.DeploymentSort | None = None,
        offset: int = 0,
        **_: Any,
    ) -> list[objects.Deployment]:
        """Deployments matching the filters, by name unless ``sort`` says otherwise."""
        query = queries.DeploymentQuery.of(
            flows=flow_filter,
            flow_runs=flow_run_filter,
            task_runs=task_run_filter,
            deployments=deployment_filter,
            work_pools=work_pool_filter,
            sort=sort,
            limit=limit,
            offset=offset,
        )
        rows = self._client.read_deployments(query)
        return [objects.Deployment.model_validate(row) for row in rows]

    def count_deployments(
        self,
        flow_filter: filters.FlowFilter | None = None,
        flow_run_filter: filters.FlowRunFilter | None = None,
        task_run_filter: filters.TaskRunFilter | None = None,
        deployment_filter: filters.DeploymentFilter | None = None,
        work_pool_filter: work_pools.WorkPoolFilter | None = None,
        **_: Any,
    ) -> int:
        criteria = queries.DeploymentCriteria(
            flows=flow_filter,
            flow_runs=flow_run_filter,
            task_runs=task_run_filter,
            deployments=deployment_filter,
            work_pools=work_pool_filter,
        )
        return self._client.count_deployments(criteria)

    def update_deployment(self, deployment_id: uuid.UUID, deployment: Any) -> None:
        """Change the fields set on ``deployment`` (a ``DeploymentUpdate`` or a mapping)."""
        if hasattr(deployment, "model_dump"):
            changes = deployment.model_dump(exclude_unset=True)
        else:
            changes = dict(deployment)
        if changes.get("schedules") is not None:
            changes["schedules"] = [_schedule_create(s) for s in changes["schedules"]]
        if not self._client.update_deployment(uuid.UUID(str(deployment_id)), changes):
            raise _not_found(deployment_id)

    def delete_deployment(self, deployment_id: uuid.UUID) -> None:
        if not self._client.delete_deployment(uuid.UUID(str(deployment_id))):
            raise _not_found(deployment_id)

    def pause_deployment(self, deployment_id: uuid.UUID | str) -> None:
        """Pause a deployment: its schedules make no runs until it is resumed."""
        if not self._client.pause_deployment(uuid.UUID(str(deployment_id))):
            raise _not_found(deployment_id)

    def resume_deployment(self, deployment_id: uuid.UUID | str) -> None:
        if not self._client.resume_deployment(uuid.UUID(str(deployment_id))):
            raise _not_found(deployment_id)

    def create_flow_run_from_deployment(
        self,
        deployment_id: uuid.UUID,
        *,
        parameters: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        state: State | None = None,
        name: str | None = None,
        tags: Iterable[str] | None = None,
        idempotency_key: str | None = None,
        parent_task_run_id: uuid.UUID | None = None,
        work_queue_name: str | None = None,
        job_variables: dict[str, Any] | None = None,
        labels: dict[str, Any] | None = None,
        **_: Any,
    ) -> objects.FlowRun:
        """Create a run of a deployment (Scheduled now unless ``state``): parameters over the
        deployment's, tags added to its tags; the same ``idempotency_key`` gives the same run."""
        run = {
            "parameters": parameters or {},
            "state": state,
            "name": name,
            "tags": list(tags or ()),
            "idempotency_key": idempotency_key,
            "parent_task_run_id": parent_task_run_id,
            "work_queue_name": work_queue_name,
            "job_variables": job_variables,
        }
        row = self._client.create_flow_run_from_deployment(uuid.UUID(str(deployment_id)), run)
        return objects.FlowRun.from_row(row)

    # -- schedules ------------------------------------------------------------------------
    def read_deployment_schedules(
        self, deployment_id: uuid.UUID
    ) -> list[_schedules.DeploymentSchedule]:
        rows = self._client.read_deployment_schedules(uuid.UUID(str(deployment_id)))
        return [_schedules.DeploymentSchedule.model_validate(row) for row in rows]

    def create_deployment_schedules(
        self, deployment_id: uuid.UUID, schedules: Iterable[Any]
    ) -> list[_schedules.DeploymentSchedule]:
        """Add schedules (``(schedule, active)`` pairs, as Prefect's client takes, or
        ``DeploymentScheduleCreate``) to a deployment."""
        rows = self._client.create_deployment_schedules(
            uuid.UUID(str(deployment_id)), [_schedule_create(s) for s in schedules]
        )
        return [_schedules.DeploymentSchedule.model_validate(row) for row in rows]

    def update_deployment_schedule(
        self,
        deployment_id: uuid.UUID,
        schedule_id: uuid.UUID,
        active: bool | None = None,
        schedule: Any = None,
        **fields: Any,
    ) -> None:
        """Change a schedule of a deployment (only what is given)."""
        changes = {k: v for k, v in fields.items() if v is not None}
        if active is not None:
            changes["active"] = active
        if schedule is not None:
            changes["schedule"] = schedule
        deployment, schedule_key = uuid.UUID(str(deployment_id)), uuid.UUID(str(schedule_id))
        if not self._client.update_deployment_schedule(deployment, schedule_key, changes):
            raise exceptions.ObjectNotFound(
                f"Schedule {schedule_id} of deployment {deployment_id} not found."
            )

    def delete_deployment_schedule(self, deployment_id: uuid.UUID, schedule_id: uuid.UUID) -> None:
        deployment, schedule_key = uuid.UUID(str(deployment_id)), uuid.UUID(str(schedule_id))
        if not self._client.delete_deployment_schedule(deployment, schedule_key):
            raise exceptions.ObjectNotFound(
                f"Schedule {schedule_id} of deployment {deployment_id} not found."
            )
