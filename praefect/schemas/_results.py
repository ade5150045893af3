"""What of a state's ``data`` is stored, and how a stored result reference is loaded back.

It sits below ``schemas.states`` (which turns a state into its value) and imports nothing of
praefect.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Any


def load_reference(reference: dict[str, Any]) -> Any:
    """The value behind a stored result reference (read from result storage by the loader that
    ``praefect/__init__.py`` registers: the results module sits above this layer)."""
    if reference_loader is None:
        raise RuntimeError("No result loader is registered; import praefect first.")
    return reference_loader(reference)


reference_loader: Any = None
"""``fn(reference) -> value``, set when the ``praefect`` package is imported."""


def _jsonable(value: object) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def jsonable_details(details: dict[str, Any]) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in details.items() if v is not None}


def data_reference(data: object) -> Any:
    """What of a state's data is stored: a result reference (a dict) if it has one, else None.
    Payloads never go into the database."""
    to_ref = getattr(data, "to_reference", None)
    if to_ref is not None:
        return to_ref()
    if isinstance(data, dict) and (
        data.get("__praefect_result_ref__") or _PREFECT_METADATA.issubset(data)
    ):
        return data
    return None


_PREFECT_METADATA = frozenset({"storage_key", "serializer"})
"""The keys of Prefect's ``ResultRecordMetadata``: Prefect's clients (a task worker of Prefect's
recording a background run's result through events) store such a reference as the state's data,
and read it back from the API to load the result from their storage."""
