"""The variable and artifact methods of the user-facing clients (``SyncPrefectClient``, and
awaited on ``PrefectClient``): Prefect 3's names and signatures, returning
``praefect.schemas.variables`` and ``praefect.schemas.artifacts`` models."""

from __future__ import annotations

import uuid
from typing import Any

from praefect import exceptions
from praefect.schemas import artifacts as art
from praefect.schemas import filters
from praefect.schemas import variables as var

__all__ = ["VariableClientMethods"]


def _fields(value: Any) -> dict[str, Any]:
    if hasattr(value, "model_dump"):
        return value.model_dump(exclude_unset=True)
    return dict(value)


class VariableClientMethods:
    """Mixed into ``SyncPrefectClient`` (which provides ``_client``, the orchestration
    client)."""

    _client: Any

    # -- variables ------------------------------------------------------------------------
    def create_variable(self, variable: Any) -> var.Variable:
        """Create a variable (a ``VariableCreate`` or a mapping); ``ObjectAlreadyExists``
        when the name is taken."""
        return var.Variable.model_validate(self._client.create_variable(_fields(variable)))

    def read_variable_by_name(self, name: str) -> var.Variable | None:
        row = self._client.read_variable_by_name(name)
        return None if row is None else var.Variable.model_validate(row)

    def read_variables(self, limit: int | None = None) -> list[var.Variable]:
        rows = self._client.read_variables(var.VariableQuery(limit=limit))
        return [var.Variable.model_validate(row) for row in rows]

    def update_variable(self, variable: Any) -> None:
        """Change the variable named ``variable.name`` (its value and tags given)."""
        changes = _fields(variable)
        name = changes.pop("name", None)
        if name is None or not self._client.update_variable_by_name(name, changes):
            raise exceptions.ObjectNotFound(f"Variable {name!r} not found.", name=name)

    def delete_variable_by_name(self, name: str) -> None:
        if not self._client.delete_variable_by_name(name):
            raise exceptions.ObjectNotFound(f"Variable {name!r} not found.", name=name)

    # -- artifacts ------------------------------------------------------------------------
    def create_artifact(self, artifact: Any) -> art.Artifact:
        """Create an artifact (an ``ArtifactCreate`` or a mapping) now."""
        return art.Artifact.model_validate(self._client.create_artifact(_fields(artifact)))

    def update_artifact(self, artifact_id: uuid.UUID, artifact: Any) -> None:
        if not self._client.update_artifact(uuid.UUID(str(artifact_id)), _fields(artifact)):
            raise exceptions.ObjectNotFound(f"Artifact {artifact_id} not found.", id=artifact_id)

    def delete_artifact(self, artifact_id: uuid.UUID) -> None:
        if not self._client.delete_artifact(uuid.UUID(str(artifact_id))):
            raise exceptions.ObjectNotFound(f"Artifact {artifact_id} not found.", id=artifact_id)

    def read_artifacts(
        self,
        *,
        artifact_filter: art.ArtifactFilter | None = None,
        flow_run_filter: filters.FlowRunFilter | None = None,
        task_run_filter: filters.TaskRunFilter | None = None,
        sort: art.ArtifactSort | None = None,
        limit: int | None = None,
        offset: int = 0,
        **_: Any,
    ) -> list[art.Artifact]:
        """Artifacts (every version) matching the filters, newest id first unless ``sort``."""
        query = art.ArtifactQuery.of(
            artifacts=artifact_filter,
            flow_runs=flow_run_filter,
            task_runs=task_run_filter,
            sort=sort,
            limit=limit,
            offset=offset,
        )
        return [art.Artifact.model_validate(row) for row in self._client.read_artifacts(query)]

    def read_latest_artifacts(
        self,
        *,
        artifact_filter: art.ArtifactCollectionFilter | None = None,
        flow_run_filter: filters.FlowRunFilter | None = None,
        task_run_filter: filters.TaskRunFilter | None = None,
        sort: art.ArtifactCollectionSort | None = None,
        limit: int | None = None,
        offset: int = 0,
        **_: Any,
    ) -> list[art.ArtifactCollection]:
        """The latest version of each key matching the filters."""
        query = art.ArtifactCollectionQuery.of(
            artifacts=artifact_filter,
            flow_runs=flow_run_filter,
            task_runs=task_run_filter,
            sort=sort,
            limit=limit,
            offset=offset,
        )
        rows = self._client.read_latest_artifacts(query)
        return [art.ArtifactCollection.model_validate(row) for row in rows]
