"""The variable and artifact methods of ``EmbeddedClient``: each one transaction onto the service
layer (``orchestration.variables``, ``orchestration.artifacts``). Artifacts made in a run go
through the write-behind queue (``enqueue_artifact``), so every read and change of artifacts
flushes it first."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from praefect import orchestration

if TYPE_CHECKING:
    from praefect.client.writer import WriteBehind
    from praefect.schemas.artifacts import (
        ArtifactCollectionCriteria,
        ArtifactCollectionQuery,
        ArtifactCriteria,
        ArtifactQuery,
    )
    from praefect.schemas.variables import VariableCriteria, VariableQuery

__all__ = ["EmbeddedVariableMethods"]

_variables = orchestration.variables
_artifacts = orchestration.artifacts


class EmbeddedVariableMethods:
    """Mixed into ``EmbeddedClient`` (which provides ``_read``, ``_write`` and ``writer``)."""

    writer: WriteBehind
    _read: Any
    _write: Any

    # -- variables ------------------------------------------------------------------------
    def create_variable(self, variable: Mapping[str, Any]) -> dict[str, Any]:
        return self._write(lambda conn: _variables.create(conn, variable))

    def read_variable(self, variable_id: uuid.UUID) -> dict[str, Any] | None:
        return self._read(lambda conn: _variables.read(conn, variable_id))

    def read_variable_by_name(self, name: str) -> dict[str, Any] | None:
        return self._read(lambda conn: _variables.read_by_name(conn, name))

    def read_variables(self, query: VariableQuery | None = None) -> list[dict[str, Any]]:
        return self._read(lambda conn: _variables.read_many(conn, query))

    def count_variables(self, criteria: VariableCriteria | None = None) -> int:
        return self._read(lambda conn: _variables.count(conn, criteria))

    def update_variable_by_name(self, name: str, changes: Mapping[str, Any]) -> bool:
        return self._write(lambda conn: _variables.update(conn, name, changes))

    def delete_variable_by_name(self, name: str) -> bool:
        return self._write(lambda conn: _variables.delete(conn, name))

    # -- artifacts ------------------------------------------------------------------------
    def create_artifact(self, artifact: Mapping[str, Any]) -> dict[str, Any]:
        self.writer.flush()  # a version queued before this one stays older
        return self._write(lambda conn: _artifacts.create(conn, artifact))

    def enqueue_artifact(self, artifact: Mapping[str, Any]) -> uuid.UUID:
        row = _artifacts.new_row(artifact)
        self.writer.put_artifact(row)
        return row["id"]

    def read_artifact(self, artifact_id: uuid.UUID) -> dict[str, Any] | None:
        self.writer.flush()
        return self._read(lambda conn: _artifacts.read(conn, artifact_id))

    def read_latest_artifact(self, key: str) -> dict[str, Any] | None:
        self.writer.flush()
        return self._read(lambda conn: _artifacts.read_latest(conn, key))

    def read_artifacts(self, query: ArtifactQuery | None = None) -> list[dict[str, Any]]:
        self.writer.flush()
        return self._read(lambda conn: _artifacts.read_many(conn, query))

    def count_artifacts(self, criteria: ArtifactCriteria | None = None) -> int:
        self.writer.flush()
        return self._read(lambda conn: _artifacts.count(conn, criteria))

    def read_latest_artifacts(
        self, query: ArtifactCollectionQuery | None = None
    ) -> list[dict[str, Any]]:
        self.writer.flush()
        return self._read(lambda conn: _artifacts.read_latest_many(conn, query))

    def count_latest_artifacts(self, criteria: ArtifactCollectionCriteria | None = None) -> int:
        self.writer.flush()
        return self._read(lambda conn: _artifacts.count_latest(conn, criteria))

    def update_artifact(self, artifact_id: uuid.UUID, changes: Mapping[str, Any]) -> bool:
        self.writer.flush()
        return self._write(lambda conn: _artifacts.update(conn, artifact_id, changes))

    def delete_artifact(self, artifact_id: uuid.UUID) -> bool:
        self.writer.flush()
        return self._write(lambda conn: _artifacts.delete(conn, artifact_id))
