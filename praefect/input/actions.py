"""Saving, reading and deleting the inputs of a flow run (Prefect's ``prefect.input.actions``):
JSON values under keys made of lowercase letters, digits and dashes. Inside a flow run,
``flow_run_id`` defaults to the current run.

>>> from praefect.input import create_flow_run_input, read_flow_run_input
>>> create_flow_run_input("answer", 42, flow_run_id=run_id)  # doctest: +SKIP
>>> read_flow_run_input("answer", flow_run_id=run_id)  # doctest: +SKIP
42
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import TYPE_CHECKING, Any

from praefect import client as _client
from praefect import exceptions
from praefect.context import FlowRunContext

if TYPE_CHECKING:
    import pydantic

    from praefect.schemas.objects import FlowRunInput

__all__ = [
    "acreate_flow_run_input",
    "acreate_flow_run_input_from_model",
    "adelete_flow_run_input",
    "afilter_flow_run_input",
    "aread_flow_run_input",
    "create_flow_run_input",
    "create_flow_run_input_from_model",
    "delete_flow_run_input",
    "ensure_flow_run_id",
    "filter_flow_run_input",
    "read_flow_run_input",
]


def ensure_flow_run_id(flow_run_id: uuid.UUID | str | None = None) -> uuid.UUID:
    """``flow_run_id``, or the current flow run's id inside a flow run."""
    if flow_run_id is not None:
        return uuid.UUID(str(flow_run_id))
    ctx = FlowRunContext.enclosing()
    if ctx is None:
        raise exceptions.MissingContextError(
            "No flow run id: pass flow_run_id=..., or call this inside a flow run."
        )
    run_id: uuid.UUID = ctx.flow_run.id
    return run_id


def create_flow_run_input(
    key: str,
    value: Any,
    flow_run_id: uuid.UUID | str | None = None,
    sender: str | None = None,
) -> None:
    """Save ``value`` (anything JSON can hold) under ``key`` for the flow run;
    ``ObjectAlreadyExists`` when the key is taken."""
    run_id = ensure_flow_run_id(flow_run_id)
    _check_key(key)
    _client.get_orchestration_client().create_flow_run_input(run_id, key, json.dumps(value), sender)


def create_flow_run_input_from_model(
    key: str,
    model_instance: pydantic.BaseModel,
    flow_run_id: uuid.UUID | str | None = None,
    sender: str | None = None,
) -> None:
    """Save a pydantic model instance (its JSON) under ``key`` for the flow run."""
    run_id = ensure_flow_run_id(flow_run_id)
    _check_key(key)
    _client.get_orchestration_client().create_flow_run_input(
        run_id, key, model_instance.model_dump_json(), sender
    )


def filter_flow_run_input(
    key_prefix: str,
    limit: int = 1,
    exclude_keys: set[str] | None = None,
    flow_run_id: uuid.UUID | str | None = None,
) -> list[FlowRunInput]:
    """The flow run's inputs whose key starts with ``key_prefix`` (``exclude_keys`` left out),
    oldest first, at most ``limit``."""
    from praefect.schemas.objects import FlowRunInput
    from praefect.schemas.queries import FlowRunInputQuery

    run_id = ensure_flow_run_id(flow_run_id)
    excluded = sorted(exclude_keys or ())
    query = FlowRunInputQuery(prefix=key_prefix, limit=limit, exclude_keys=excluded)
    rows = _client.get_orchestration_client().filter_flow_run_input(run_id, query)
    return [FlowRunInput.model_validate(row) for row in rows]


def read_flow_run_input(key: str, flow_run_id: uuid.UUID | str | None = None) -> Any:
    """The value saved under ``key`` for the flow run, decoded from JSON (None when there is
    none)."""
    run_id = ensure_flow_run_id(flow_run_id)
    text = _client.get_orchestration_client().read_flow_run_input(run_id, key)
    return json.loads(text) if text is not None else None


def delete_flow_run_input(key: str, flow_run_id: uuid.UUID | str | None = None) -> None:
    """Delete the flow run's input saved under ``key`` (nothing happens when there is none)."""
    run_id = ensure_flow_run_id(flow_run_id)
    _client.get_orchestration_client().delete_flow_run_input(run_id, key)


def _check_key(key: str) -> None:
    import re

    if not re.fullmatch(r"[a-z0-9-]{1,255}", key):
        raise ValueError(
            f"Flow run input key {key!r} is not valid: use lowercase letters, digits and dashes "
            "only (at most 255 characters)."
        )


async def acreate_flow_run_input(
    key: str, value: Any, flow_run_id: uuid.UUID | str | None = None, sender: str | None = None
) -> None:
    """``create_flow_run_input`` for async code."""
    run_id = ensure_flow_run_id(flow_run_id)
    await asyncio.to_thread(create_flow_run_input, key, value, run_id, sender)


async def acreate_flow_run_input_from_model(
    key: str,
    model_instance: pydantic.BaseModel,
    flow_run_id: uuid.UUID | str | None = None,
    sender: str | None = None,
) -> None:
    """``create_flow_run_input_from_model`` for async code."""
    run_id = ensure_flow_run_id(flow_run_id)
    await asyncio.to_thread(create_flow_run_input_from_model, key, model_instance, run_id, sender)


async def afilter_flow_run_input(
    key_prefix: str,
    limit: int = 1,
    exclude_keys: set[str] | None = None,
    flow_run_id: uuid.UUID | str | None = None,
) -> list[FlowRunInput]:
    """``filter_flow_run_input`` for async code."""
    run_id = ensure_flow_run_id(flow_run_id)
    return await asyncio.to_thread(filter_flow_run_input, key_prefix, limit, exclude_keys, run_id)


async def aread_flow_run_input(key: str, flow_run_id: uuid.UUID | str | None = None) -> Any:
    """``read_flow_run_input`` for async code."""
    run_id = ensure_flow_run_id(flow_run_id)
    return await asyncio.to_thread(read_flow_run_input, key, run_id)


async def adelete_flow_run_input(key: str, flow_run_id: uuid.UUID | str | None = None) -> None:
    """``delete_flow_run_input`` for async code."""
    run_id = ensure_flow_run_id(flow_run_id)
    await asyncio.to_thread(delete_flow_run_input, key, run_id)
