"""The deployment methods of ``EmbeddedClient`` (straight onto
``praefect.orchestration.deployments``), kept in a mixin of their own; ``HttpClient`` has the
same calls over the REST API (``praefect.client.http_deployments``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Connection

from praefect import orchestration

if TYPE_CHECKING:
    from praefect.schemas.queries import DeploymentCriteria, DeploymentQuery

__all__ = ["EmbeddedDeploymentMethods"]

T = TypeVar("T")


class EmbeddedDeploymentMethods:
    """Mixed into ``EmbeddedClient`` (which provides ``_read`` and ``_write``)."""

    _read: Callable[[Callable[[Connection], Any]], Any]
    _write: Callable[[Callable[[Connection], Any]], Any]

    def create_deployment(self, deployment: Mapping[str, Any]) -> dict[str, Any]:
        """Create a deployment, or update the one with the same flow and name; return it."""
        return self._write(lambda conn: orchestration.deployments.create(conn, deployment))

    def read_deployment(self, deployment_id: uuid.UUID) -> dict[str, Any] | None:
        return self._read(lambda conn: orchestration.deployments.read(conn, deployment_id))

    def read_deployment_by_name(self, flow_name: str, name: str) -> dict[str, Any] | None:
        return self._read(
            lambda conn: orchestration.deployments.read_by_name(conn, flow_name, name)
        )

    def read_deployments(self, query: DeploymentQuery | None = None) -> list[dict[str, Any]]:
        return self._read(lambda conn: orchestration.deployments.read_many(conn, query))

    def count_deployments(self, criteria: DeploymentCriteria | None = None) -> int:
        return self._read(lambda conn: orchestration.deployments.count(conn, criteria))

    def update_deployment(self, deployment_id: uuid.UUID, changes: Mapping[str, Any]) -> bool:
        return self._write(
            lambda conn: orchestration.deployments.update(conn, deployment_id, changes)
        )

    def delete_deployment(self, deployment_id: uuid.UUID) -> bool:
        return self._write(lambda conn: orchestration.deployments.delete(conn, deployment_id))

    def pause_deployment(self, deployment_id: uuid.UUID) -> bool:
        return self._write(lambda conn: orchestration.deployments.pause(conn, deployment_id))

    def resume_deployment(self, deployment_id: uuid.UUID) -> bool:
        return self._write(lambda conn: orchestration.deployments.resume(conn, deployment_id))

    def create_flow_run_from_deployment(
        self, deployment_id: uuid.UUID, run: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Create a run of the deployment (see ``orchestration.deployments.create_flow_run``)."""
        return self._write(
            lambda conn: orchestration.deployments.create_flow_run(conn, deployment_id, run)
        )

    def read_deployment_schedules(self, deployment_id: uuid.UUID) -> list[dict[str, Any]]:
        return self._read(
            lambda conn: orchestration.deployments.read_schedules(conn, deployment_id)
        )

    def create_deployment_schedules(
        self, deployment_id: uuid.UUID, schedules: list[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        return self._write(
            lambda conn: orchestration.deployments.create_schedules(conn, deployment_id, schedules)
        )

    def update_deployment_schedule(
        self, deployment_id: uuid.UUID, schedule_id: uuid.UUID, changes: Mapping[str, Any]
    ) -> bool:
        return self._write(
            lambda conn: orchestration.deployments.update_schedule(
                conn, deployment_id, schedule_id, changes
            )
        )

    def delete_deployment_schedule(self, deployment_id: uuid.UUID, schedule_id: uuid.UUID) -> bool:
        return self._write(
            lambda conn: orchestration.deployments.delete_schedule(conn, deployment_id, schedule_id)
        )
