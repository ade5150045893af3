"""JSON of Prefect's API and service-layer rows, shared by ``HttpClient`` and its mixins
(``http_deployments``, ``http_work_pools``): ``row`` (a service-layer row from an API object)
and ``query_body`` (the request body of a query)."""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import TYPE_CHECKING, Any

from praefect.schemas.responses import OrchestrationResult, SetStateStatus
from praefect.schemas.states import State

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["orchestration_result", "query_body", "row"]


_TIME_KEYS = frozenset(
    {
        "created",
        "updated",
        "expected_start_time",
        "next_scheduled_start_time",
        "start_time",
        "end_time",
        "state_timestamp",
        "heartbeat",
        "cache_expiration",
        "timestamp",
        "occurred",
        "received",
    }
)
_ID_KEYS = frozenset(
    {
        "id",
        "flow_id",
        "state_id",
        "flow_run_id",
        "task_run_id",
        "parent_task_run_id",
        "deployment_id",
        "work_queue_id",
        "work_pool_id",
    }
)


def _seconds(value: Any) -> float:
    """Seconds of a duration sent as a number or as ISO 8601 (``PT1.5S``, pydantic's way)."""
    if value is None:
        return 0.0
    if isinstance(value, int | float):
        return float(value)
    text = str(value).upper()
    if not text.startswith("P"):
        return float(text)
    total, number, in_time = 0.0, "", False
    units = {"D": 86400.0, "H": 3600.0, "S": 1.0, "W": 604800.0}
    for char in text[1:]:
        if char == "T":
            in_time = True
        elif char.isdigit() or char in ".-":
            number += char
        else:
            scale = 60.0 if char == "M" and in_time else units.get(char, 0.0)
            total += float(number or 0) * scale
            number = ""
    return total


def row(data: dict[str, Any]) -> dict[str, Any]:
    """A service-layer row (what ``EmbeddedClient`` returns) from a JSON object of the API."""
    row = dict(data)
    for key, value in data.items():
        if value.__class__ is not str:
            continue
        if key in _TIME_KEYS:
            parsed = _dt.datetime.fromisoformat(value)
            row[key] = parsed if parsed.tzinfo else parsed.replace(tzinfo=_dt.UTC)
        elif key in _ID_KEYS:
            try:
                row[key] = uuid.UUID(value)
            except ValueError:
                pass
    state = data.get("state")
    if isinstance(state, dict):
        row["state"] = State.from_record(state)
    if "total_run_time" in data:
        row["total_run_time"] = _seconds(data["total_run_time"])
    return row


def query_body(query: BaseModel | None) -> dict[str, Any]:
    """The request body of a query (``praefect.schemas.queries``; None: every record) but its
    page (``limit``, ``offset``: the caller pages), the fields left unset left out."""
    if query is None:
        return {}
    return query.model_dump(mode="json", exclude_none=True, exclude={"limit", "offset"})


def orchestration_result(data: dict[str, Any], proposed: State | None) -> OrchestrationResult:
    """The ``OrchestrationResult`` of an answer's JSON (the proposed state's data kept)."""
    status = SetStateStatus(data["status"])
    record = data.get("state")
    state = State.from_record(record) if record else None
    if state is not None and proposed is not None and state.id == proposed.id:
        state.data = proposed.data  # the wire carries a reference at most; keep the value
    details = data.get("details") or {}
    return OrchestrationResult.of(
        status, state, details.get("reason"), details.get("delay_seconds")
    )
