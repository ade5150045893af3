"""The pausing methods of ``HttpClient`` (the same calls as ``EmbeddedClient``'s, over Prefect's
``/flow_runs/{id}/resume`` and ``/flow_runs/{id}/input`` routes), kept in a mixin of their own."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from praefect import exceptions
from praefect.client.http_rows import orchestration_result as _orchestration_result
from praefect.client.http_rows import row as _row
from praefect.schemas.responses import OrchestrationResult
from praefect.schemas.states import State

if TYPE_CHECKING:
    from praefect.schemas.queries import FlowRunInputQuery

__all__ = ["HttpInputMethods"]


class HttpInputMethods:
    """Mixed into ``HttpClient`` (which provides ``_call`` and ``transport``)."""

    _call: Any
    _refused: Any
    transport: Any

    def resume_flow_run(
        self, flow_run_id: uuid.UUID, run_input: Mapping[str, Any] | None = None
    ) -> OrchestrationResult:
        given = dict(run_input) if run_input is not None else None
        body = json.dumps({"run_input": given}, default=str).encode()
        response = self.transport.request("POST", f"/flow_runs/{flow_run_id}/resume", content=body)
        if response.is_success:
            return _orchestration_result(response.json(), None)
        detail = _detail(response)
        if response.status_code == 404:
            raise exceptions.FlowRunNotFound(detail, flow_run_id=flow_run_id)
        if response.status_code == 409:
            data = response.json()
            record = data.get("state") if isinstance(data, dict) else None
            state = State.from_record(record) if record else None
            raise exceptions.NotPausedError(detail, state=state)
        if response.status_code == 422:
            raise ValueError(detail)
        raise self._refused(response)

    def create_flow_run_input(
        self, flow_run_id: uuid.UUID, key: str, value: str, sender: str | None = None
    ) -> None:
        body = {"key": key, "value": value, "sender": sender}
        self._call("POST", f"/flow_runs/{flow_run_id}/input", body)

    def read_flow_run_input(self, flow_run_id: uuid.UUID, key: str) -> str | None:
        response = self.transport.request("GET", f"/flow_runs/{flow_run_id}/input/{key}")
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise self._refused(response)
        text: str = response.text
        return text

    def filter_flow_run_input(
        self, flow_run_id: uuid.UUID, query: FlowRunInputQuery
    ) -> list[dict[str, Any]]:
        body = query.model_dump(mode="json")
        rows = self._call("POST", f"/flow_runs/{flow_run_id}/input/filter", body)
        return [_row(item) for item in rows]

    def delete_flow_run_input(self, flow_run_id: uuid.UUID, key: str) -> bool:
        response = self.transport.request("DELETE", f"/flow_runs/{flow_run_id}/input/{key}")
        if response.status_code == 404:
            return False
        if not response.is_success:
            raise self._refused(response)
        return True


def _detail(response: Any) -> str:
    try:
        data = response.json()
    except ValueError:
        return str(response.text)
    detail = data.get("detail", data) if isinstance(data, dict) else data
    return str(detail)
