"""JSON of Prefect's API and service-layer rows, shared by ``HttpClient`` and its mixins
(``http_deployments``, ``http_work_pools``): ``row`` (a service-layer row from an API object)
and ``filter_body`` (a filter request body)."""

from __future__ import annotations

import datetime as _dt
import enum
import uuid
from typing import Any

from praefect.schemas.states import State

__all__ = ["filter_body", "filter_json", "row"]


def filter_json(value: Any) -> Any:
    if value is None or isinstance(value, dict):
        return value
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return dump(mode="json", exclude_none=True)
    return value


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


def filter_body(**parts: Any) -> dict[str, Any]:
    """A filter request body: the filters that are set, and ``sort``."""
    body: dict[str, Any] = {}
    for key, value in parts.items():
        if value is None:
            continue
        if key == "sort":
            body[key] = value.value if isinstance(value, enum.Enum) else value
        else:
            value = filter_json(value)
            if value:
                body[key] = value
    return body
