"""The deployment methods of ``HttpClient`` (the same calls as ``EmbeddedClient``'s, over
Prefect's ``/deployments`` routes), kept in a mixin of their own."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from praefect import exceptions
from praefect.client.http_rows import query_body, row

if TYPE_CHECKING:
    from praefect.schemas.queries import DeploymentCriteria, DeploymentQuery

__all__ = ["HttpDeploymentMethods"]


def _quiet(call: Any) -> bool:
    """Whether ``call()`` succeeded; False on a 404."""
    try:
        call()
    except exceptions.ObjectNotFound:
        return False
    return True


class HttpDeploymentMethods:
    """Mixed into ``HttpClient`` (which provides ``_call`` and ``_filter_all``)."""

    _call: Any
    _filter_all: Any

    def _deployment(self, data: dict[str, Any] | None) -> dict[str, Any] | None:
        return row(data) if data is not None else None

    def create_deployment(self, deployment: Mapping[str, Any]) -> dict[str, Any]:
        """Create a deployment, or update the one with the same flow and name; return it."""
        return self._deployment(self._call("POST", "/deployments/", dict(deployment)))  # type: ignore[return-value]

    def read_deployment(self, deployment_id: uuid.UUID) -> dict[str, Any] | None:
        return self._deployment(self._call("GET", f"/deployments/{deployment_id}", missing=None))

    def read_deployment_by_name(self, flow_name: str, name: str) -> dict[str, Any] | None:
        path = f"/deployments/name/{flow_name}/{name}"
        return self._deployment(self._call("GET", path, missing=None))

    def read_deployments(self, query: DeploymentQuery | None = None) -> list[dict[str, Any]]:
        rows = self._filter_all("/deployments/filter", query)
        return [self._deployment(row) for row in rows]  # type: ignore[misc]

    def count_deployments(self, criteria: DeploymentCriteria | None = None) -> int:
        return int(self._call("POST", "/deployments/count", query_body(criteria)))

    def update_deployment(self, deployment_id: uuid.UUID, changes: Mapping[str, Any]) -> bool:
        body = dict(changes)
        return _quiet(lambda: self._call("PATCH", f"/deployments/{deployment_id}", body))

    def delete_deployment(self, deployment_id: uuid.UUID) -> bool:
        return _quiet(lambda: self._call("DELETE", f"/deployments/{deployment_id}"))

    def pause_deployment(self, deployment_id: uuid.UUID) -> bool:
        return _quiet(lambda: self._call("POST", f"/deployments/{deployment_id}/pause_deployment"))

    def resume_deployment(self, deployment_id: uuid.UUID) -> bool:
        return _quiet(lambda: self._call("POST", f"/deployments/{deployment_id}/resume_deployment"))

    def create_flow_run_from_deployment(
        self, deployment_id: uuid.UUID, run: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Create a run of the deployment; ``ObjectNotFound`` without it, ``ValueError`` naming
        the parameter the deployment's schema refuses."""
        body = {key: value for key, value in run.items() if value is not None}
        data = self._call("POST", f"/deployments/{deployment_id}/create_flow_run", body)
        return self._deployment(data)  # type: ignore[return-value]

    def read_deployment_schedules(self, deployment_id: uuid.UUID) -> list[dict[str, Any]]:
        rows = self._call("GET", f"/deployments/{deployment_id}/schedules")
        return [self._deployment(row) for row in rows]  # type: ignore[misc]

    def create_deployment_schedules(
        self, deployment_id: uuid.UUID, schedules: list[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        rows = self._call("POST", f"/deployments/{deployment_id}/schedules", list(schedules))
        return [self._deployment(row) for row in rows]  # type: ignore[misc]

    def update_deployment_schedule(
        self, deployment_id: uuid.UUID, schedule_id: uuid.UUID, changes: Mapping[str, Any]
    ) -> bool:
        path = f"/deployments/{deployment_id}/schedules/{schedule_id}"
        return _quiet(lambda: self._call("PATCH", path, dict(changes)))

    def delete_deployment_schedule(self, deployment_id: uuid.UUID, schedule_id: uuid.UUID) -> bool:
        path = f"/deployments/{deployment_id}/schedules/{schedule_id}"
        return _quiet(lambda: self._call("DELETE", path))
