"""The variable and artifact methods of ``HttpClient`` (the same calls as ``EmbeddedClient``'s,
over Prefect's ``/variables`` and ``/artifacts`` routes), kept in a mixin of their own.
Artifacts made in a run are posted by the write-behind queue, so reads and changes of artifacts
flush it first."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from praefect import exceptions, orchestration
from praefect.client.http_rows import query_body
from praefect.client.http_rows import row as _row

if TYPE_CHECKING:
    from praefect.schemas.artifacts import (
        ArtifactCollectionCriteria,
        ArtifactCollectionQuery,
        ArtifactCriteria,
        ArtifactQuery,
    )
    from praefect.schemas.variables import VariableCriteria, VariableQuery

__all__ = ["HttpVariableMethods"]


def _optional(data: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if data is None else _artifact_row(data)


def _artifact_row(data: dict[str, Any]) -> dict[str, Any]:
    row = _row(data)
    if isinstance(row.get("latest_id"), str):
        row["latest_id"] = uuid.UUID(row["latest_id"])
    return row


def _name(name: str) -> str:
    return quote(name, safe="")


class HttpVariableMethods:
    """Mixed into ``HttpClient`` (which provides ``_call``, ``_filter_all`` and ``flush``)."""

    _call: Any
    _filter_all: Any
    flush: Any
    writer: Any

    # -- variables ------------------------------------------------------------------------
    def create_variable(self, variable: Mapping[str, Any]) -> dict[str, Any]:
        # checked here too: the JSON encoder would send a value JSON lacks as its str()
        name = orchestration.variables.check_name(variable.get("name"))
        value = orchestration.variables.check_value(name, variable.get("value"))
        body = {"name": name, "value": value}
        body["tags"] = list(variable.get("tags") or [])
        return _row(self._call("POST", "/variables/", body))

    def read_variable(self, variable_id: uuid.UUID) -> dict[str, Any] | None:
        data = self._call("GET", f"/variables/{variable_id}", missing=None)
        return None if data is None else _row(data)

    def read_variable_by_name(self, name: str) -> dict[str, Any] | None:
        data = self._call("GET", f"/variables/name/{_name(name)}", missing=None)
        return None if data is None else _row(data)

    def read_variables(self, query: VariableQuery | None = None) -> list[dict[str, Any]]:
        return [_row(item) for item in self._filter_all("/variables/filter", query)]

    def count_variables(self, criteria: VariableCriteria | None = None) -> int:
        return int(self._call("POST", "/variables/count", query_body(criteria)))

    def update_variable_by_name(self, name: str, changes: Mapping[str, Any]) -> bool:
        if "value" in changes:
            orchestration.variables.check_value(changes.get("name") or name, changes["value"])
        try:
            self._call("PATCH", f"/variables/name/{_name(name)}", dict(changes))
        except exceptions.ObjectNotFound:
            return False
        return True

    def delete_variable_by_name(self, name: str) -> bool:
        try:
            self._call("DELETE", f"/variables/name/{_name(name)}")
        except exceptions.ObjectNotFound:
            return False
        return True

    # -- artifacts ------------------------------------------------------------------------
    def create_artifact(self, artifact: Mapping[str, Any]) -> dict[str, Any]:
        self.flush()  # a version queued before this one stays older
        body = {k: v for k, v in artifact.items() if k not in ("created", "updated")}
        return _artifact_row(self._call("POST", "/artifacts/", body))

    def enqueue_artifact(self, artifact: Mapping[str, Any]) -> uuid.UUID:
        row = orchestration.artifacts.new_row(artifact)
        self.writer.put_artifact(row)
        return row["id"]

    def read_artifact(self, artifact_id: uuid.UUID) -> dict[str, Any] | None:
        self.flush()
        return _optional(self._call("GET", f"/artifacts/{artifact_id}", missing=None))

    def read_latest_artifact(self, key: str) -> dict[str, Any] | None:
        self.flush()
        return _optional(self._call("GET", f"/artifacts/{_name(key)}/latest", missing=None))

    def read_artifacts(self, query: ArtifactQuery | None = None) -> list[dict[str, Any]]:
        self.flush()
        return [_artifact_row(item) for item in self._filter_all("/artifacts/filter", query)]

    def count_artifacts(self, criteria: ArtifactCriteria | None = None) -> int:
        self.flush()
        return int(self._call("POST", "/artifacts/count", query_body(criteria)))

    def read_latest_artifacts(
        self, query: ArtifactCollectionQuery | None = None
    ) -> list[dict[str, Any]]:
        self.flush()
        rows = self._filter_all("/artifacts/latest/filter", query)
        return [_artifact_row(item) for item in rows]

    def count_latest_artifacts(self, criteria: ArtifactCollectionCriteria | None = None) -> int:
        self.flush()
        return int(self._call("POST", "/artifacts/latest/count", query_body(criteria)))

    def update_artifact(self, artifact_id: uuid.UUID, changes: Mapping[str, Any]) -> bool:
        self.flush()
        try:
            self._call("PATCH", f"/artifacts/{artifact_id}", dict(changes))
        except exceptions.ObjectNotFound:
            return False
        return True

    def delete_artifact(self, artifact_id: uuid.UUID) -> bool:
        self.flush()
        try:
            self._call("DELETE", f"/artifacts/{artifact_id}")
        except exceptions.ObjectNotFound:
            return False
        return True
