"""How a state's ``data`` becomes a Python value, and what of it is stored."""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Any

from praefect.schemas.states import NO_STORED_RESULT, State, StateType

_FAILURE_TYPES = {StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}


def _exception_for(state: State) -> BaseException:
    from praefect import exceptions

    data = state.data
    if isinstance(data, BaseException):
        return data
    message = state.message or f"Run ended in state {state.name!r}."
    if state.type is StateType.CRASHED:
        return exceptions.CrashedRun(message)
    if state.type is StateType.CANCELLED:
        return exceptions.CancelledRun(message)
    return exceptions.FailedRun(message)


def state_result(state: State, raise_on_failure: bool) -> Any:
    from praefect import exceptions

    if state.type in _FAILURE_TYPES:
        exc = _exception_for(state)
        if raise_on_failure:
            raise exc
        return exc
    if state.type is StateType.PAUSED:
        if raise_on_failure:
            raise exceptions.PausedRun(state.message or "The run is paused.", state=state)
        return None
    if not state.is_completed() and raise_on_failure:
        raise exceptions.UnfinishedRun(
            f"Run is in {state.type.value} state, its result is not available."
        )
    data = state.data
    if data is NO_STORED_RESULT:
        raise exceptions.MissingResult(
            "State data is missing: this state was read from the database and its result was "
            "not persisted. Persist results (persist_result=True, a cache policy, or "
            "PRAEFECT_RESULTS_PERSIST_BY_DEFAULT=true) to read them back later."
        )
    loader = getattr(data, "load_result", None)
    if loader is not None:
        return loader()
    if isinstance(data, dict) and data.get("__praefect_result_ref__"):
        return load_reference(data)
    return data


def load_reference(reference: dict[str, Any]) -> Any:
    """The value behind a stored result reference (read from result storage by the loader that
    ``praefect/__init__.py`` registers: the results module sits above this layer)."""
    if reference_loader is None:
        raise RuntimeError("No result loader is registered; import praefect first.")
    return reference_loader(reference)


reference_loader: Any = None
"""``fn(reference) -> value``, set when the ``praefect`` package is imported."""


def _jsonable(value: Any) -> Any:
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


def data_reference(data: Any) -> Any:
    """What of a state's data is stored: a result reference (a dict) if it has one, else None.
    Payloads never go into the database."""
    to_ref = getattr(data, "to_reference", None)
    if to_ref is not None:
        return to_ref()
    if isinstance(data, dict) and data.get("__praefect_result_ref__"):
        return data
    return None
