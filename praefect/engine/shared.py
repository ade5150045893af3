"""What the flow and task run logic share, and the engine names other modules use.

The orchestration client of the current settings, the task-run recorder (a subflow's wrapper
task run and a worker process's runs are recorded by it too), the hook runner, the state a run
ends in when an upstream did not complete, and the words the engine logs a state with.

>>> from praefect.states import Failed
>>> describe(Failed(data=ValueError("x")))
"ValueError('x')"
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from praefect.engine import dependencies
from praefect.engine.drivers import Hook, Steps
from praefect.schemas.states import State, StateType
from praefect.states import Pending
from praefect.utilities import clock as _clock

if TYPE_CHECKING:
    from praefect.client.base import OrchestrationClient
    from praefect.engine.records import FlowRunRecord, TaskRunRecord

__all__ = [
    "WrapperTask",
    "client",
    "describe",
    "exc_info",
    "jsonable_parameters",
    "not_ready",
    "record_task_run",
    "record_wrapper",
    "run_hooks",
    "state_repr",
]

_client_module: Any = None


class WrapperTask:
    """Stands in for a task: a subflow, or a deployment's run started inside a flow (Prefect's
    ``as_subflow``), is tracked in its parent's graph through a "wrapper" task run."""

    def __init__(self, name: str, task_key: str, version: str | None = None) -> None:
        self.name = name
        self.task_key = task_key
        self.version = version
        self.tags: frozenset[str] = frozenset()
        self.task_run_name = None
        self.empirical_policy = {"retries": 0, "retry_delay": [0.0], "retry_jitter_factor": None}


def client() -> OrchestrationClient:
    """The orchestration client of the current settings (``praefect.client`` is imported on
    first use: it loads SQLAlchemy, which ``import praefect`` must not)."""
    global _client_module
    if _client_module is None:
        from praefect import client as module

        _client_module = module
    return _client_module.get_orchestration_client()


def record_task_run(run: TaskRunRecord, state: State) -> None:
    """Make ``state`` the task run's current state and queue both for the store."""
    details = state.state_details
    details["task_run_id"] = run.id
    if run.flow_run_id is not None:
        details["flow_run_id"] = run.flow_run_id
    run.state = state
    ctx = run.flow_context
    store = ctx.client if ctx is not None else None
    (store or client()).enqueue_task_run(run.to_row(), state)


def record_wrapper(wrapper: TaskRunRecord | None, state: State) -> None:
    """Mirror a subflow's state on the task run that stands for it in its parent's graph."""
    if wrapper is None:
        return
    now = _clock.now()
    if state.type is StateType.RUNNING and wrapper.start_time is None:
        wrapper.start_time = now
        wrapper.run_count += 1
    if state.is_final():
        wrapper.end_time = now
        if wrapper.start_time is not None:
            wrapper.total_run_time = (now - wrapper.start_time).total_seconds()
    record_task_run(wrapper, state.fresh_copy(state_details={}))


def run_hooks(
    owner: Any, run: TaskRunRecord | FlowRunRecord, state: State, hooks: Iterable[Any]
) -> Steps:
    """Call each hook as ``hook(owner, run, state)``; a hook that raises is logged, and the
    next one still runs."""
    for hook in hooks:
        try:
            yield Hook(hook, (owner, run, state))
        except Exception:
            run.logger().exception(
                "An error was encountered while running hook %r",
                getattr(hook, "__name__", hook),
            )


def not_ready(unready: tuple[dependencies.Upstream, State]) -> State:
    """The state of a run whose upstream did not complete (``dependencies.first_unready``)."""
    upstream, upstream_state = unready
    upstream_id = dependencies.task_run_id_of(upstream.item)
    name = getattr(getattr(upstream.item, "_run", None), "name", None)
    label = f"'{name}' ({upstream_id})" if name else f"'{upstream_id}'"
    why = upstream_state.name
    if upstream_state.is_failed() or upstream_state.is_crashed():
        why += f": {describe(upstream_state)}"  # the root cause, not only its consequence
    return Pending(
        name="NotReady",
        message=f"Upstream task run {label} did not reach a 'COMPLETED' state (it is {why}).",
    )


def describe(state: State) -> str:
    """A failed state in a log line: its exception as ``Type(args)``, else its message."""
    exc = state.data
    if isinstance(exc, BaseException):
        return f"{type(exc).__name__}({', '.join(repr(a) for a in exc.args)})"
    return state.message or state.name


def exc_info(state: State) -> Any:
    """``exc_info`` for logging a failed state's exception with its traceback (or None)."""
    exc = state.data
    if isinstance(exc, BaseException) and exc.__traceback__ is not None:
        return (type(exc), exc, exc.__traceback__)
    return None


def state_repr(state: State) -> str:
    """A state as Prefect's "Finished in state ..." lines write it."""
    if state.message and state.type is not StateType.COMPLETED:
        return f"{state.name}(message={state.message!r}, type={state.type.value})"
    return f"{state.name}()"


_JSON_ATOMS = frozenset({int, float, str, bool, type(None)})


def jsonable_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """A flow run's parameters as stored: JSON values, ``repr`` for what has none."""
    if all(type(v) in _JSON_ATOMS for v in parameters.values()):
        return dict(parameters)
    from pydantic_core import to_jsonable_python

    out = {}
    for key, value in parameters.items():
        try:
            out[key] = to_jsonable_python(value, fallback=repr)
        except Exception:
            out[key] = repr(value)
    return out
