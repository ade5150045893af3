"""Futures and states passed as arguments: find them (for the run graph), wait for them, and
replace them by their results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from praefect.schemas.states import State, StateType
from praefect.utilities.annotations import BaseAnnotation, allow_failure, quote

_ATOMIC = frozenset({int, float, str, bytes, bool, type(None), complex})
_MAX_DEPTH = 8


@dataclass(frozen=True, slots=True)
class Upstream:
    """One future or state a run depends on, and whether its failure is allowed."""

    item: Any
    allow_failure: bool

    def final_state(self) -> State:
        item = self.item
        if isinstance(item, State):
            return item
        item.wait()
        return item.state


def _is_future(value: Any) -> bool:
    return hasattr(value, "_praefect_state_for_return") and hasattr(value, "task_run_id")


def task_run_id_of(value: Any) -> Any:
    """The task run a future or a state belongs to (None if it names none)."""
    if isinstance(value, State):
        return value.state_details.get("task_run_id")
    return getattr(value, "task_run_id", None)


def _visit(value: Any, allow: bool, found: list[tuple[Any, bool]], depth: int) -> bool:
    """Append the futures and states inside ``value`` to ``found``; True if ``value`` needs
    resolving (holds a future, a state or an annotation)."""
    cls = type(value)
    if cls in _ATOMIC:
        return False
    if isinstance(value, State) or _is_future(value):
        found.append((value, allow))
        return True
    if isinstance(value, BaseAnnotation):
        if isinstance(value, quote):
            return True
        _visit(value.value, allow or isinstance(value, allow_failure), found, depth + 1)
        return True
    if depth >= _MAX_DEPTH:
        return False
    if cls is list or cls is tuple or cls is set or cls is frozenset:
        special = False
        for item in value:
            if type(item) not in _ATOMIC and _visit(item, allow, found, depth + 1):
                special = True
        return special
    if cls is dict:
        special = False
        for item in value.values():
            if type(item) not in _ATOMIC and _visit(item, allow, found, depth + 1):
                special = True
        return special
    return False


def collect(
    parameters: dict[str, Any], wait_for: Any
) -> tuple[dict[str, list[dict[str, Any]]], list[Upstream], bool]:
    """The run's ``task_inputs`` (for the graph), its upstreams, and whether any parameter
    needs resolving."""
    task_inputs: dict[str, list[dict[str, Any]]] = {}
    upstreams: list[Upstream] = []
    needs_resolving = False
    for name, value in parameters.items():
        if type(value) in _ATOMIC:
            continue
        found: list[tuple[Any, bool]] = []
        if _visit(value, False, found, 0):
            needs_resolving = True
        if found:
            task_inputs[name] = _inputs(found, upstreams)
    if wait_for:
        found = []
        for item in wait_for:
            _visit(item, False, found, 0)
        task_inputs["wait_for"] = _inputs(found, upstreams)
    return task_inputs, upstreams, needs_resolving


def _inputs(found: list[tuple[Any, bool]], upstreams: list[Upstream]) -> list[dict[str, Any]]:
    """Add ``found`` to ``upstreams``; their task-run inputs for the graph."""
    inputs = []
    for item, allow in found:
        upstreams.append(Upstream(item, allow))
        run_id = task_run_id_of(item)
        if run_id is not None:
            inputs.append({"input_type": "task_run", "id": str(run_id)})
    return inputs


def first_unready(upstreams: list[Upstream]) -> tuple[Upstream, State] | None:
    """Wait for every upstream; the first one that did not complete (and may not fail)."""
    bad = None
    for up in upstreams:
        state = up.final_state()
        if bad is None and not up.allow_failure and state.type is not StateType.COMPLETED:
            bad = (up, state)
    return bad


def _resolve(value: Any, depth: int) -> Any:
    cls = type(value)
    if cls in _ATOMIC:
        return value
    if isinstance(value, State):
        return value.result(raise_on_failure=False) if not value.is_completed() else value.result()
    if _is_future(value):
        state = value.state if value.done() else (value.wait() or value.state)
        return state.result(raise_on_failure=False)
    if isinstance(value, BaseAnnotation):
        if isinstance(value, quote):
            return value.value
        return _resolve(value.value, depth + 1)
    if depth >= _MAX_DEPTH:
        return value
    if cls is list:
        return [_resolve(v, depth + 1) for v in value]
    if cls is tuple:
        return tuple(_resolve(v, depth + 1) for v in value)
    if cls is set:
        return {_resolve(v, depth + 1) for v in value}
    if cls is frozenset:
        return frozenset(_resolve(v, depth + 1) for v in value)
    if cls is dict:
        return {k: _resolve(v, depth + 1) for k, v in value.items()}
    return value


def resolve(parameters: dict[str, Any]) -> dict[str, Any]:
    """The parameters with every future, state and annotation replaced by its value."""
    return {k: v if type(v) in _ATOMIC else _resolve(v, 0) for k, v in parameters.items()}
