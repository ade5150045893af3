"""Background task runs: ``Task.delay()`` schedules one (its parameters in result storage, the
run Scheduled with no flow run), and a task worker runs one it claimed (``run_claimed``).

The parameters are stored as Prefect stores them: a result record under
``parameters/<task_parameters_id>`` in the task's result storage, the id kept in the
Scheduled state's details. A worker on another machine therefore needs the same result storage
(a shared path or an fsspec URL such as ``s3://``), as with Prefect.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from praefect import exceptions
from praefect.engine import dependencies, shared
from praefect.engine.records import TaskRunRecord
from praefect.schemas.states import State, StateType
from praefect.utilities import clock as _clock
from praefect.utilities.ids import uuid7

if TYPE_CHECKING:
    from praefect.futures import PrefectDistributedFuture
    from praefect.results import ResultStore
    from praefect.tasks import Task

__all__ = [
    "background_task",
    "parameters_key",
    "read_parameters",
    "run_claimed",
    "schedule",
    "store_parameters",
]

_logger = logging.getLogger("praefect.task_worker")


def parameters_key(identifier: uuid.UUID | str) -> str:
    """Where the parameters ``identifier`` live in result storage."""
    return f"parameters/{identifier}"


def _result_store(task: Task[Any, Any]) -> ResultStore:
    from praefect.results import ResultStore

    return ResultStore().update_for_task(task)


def store_parameters(
    result_store: ResultStore, identifier: uuid.UUID, parameters: dict[str, Any]
) -> None:
    """Write a background run's ``parameters`` (and what else the worker needs: its
    ``wait_for``) under ``parameters_key(identifier)``."""
    result_store.write(parameters, key=parameters_key(identifier))


def read_parameters(result_store: ResultStore, identifier: uuid.UUID | str) -> dict[str, Any]:
    """The parameters stored by ``store_parameters``."""
    value: dict[str, Any] = result_store.read(parameters_key(identifier)).result
    return value


def _check_serialisable(
    task: Task[Any, Any], store: ResultStore, payload: Mapping[str, Any]
) -> None:
    """Raise ``SerializationError`` naming the first argument the store cannot serialise."""
    parameters = payload["parameters"]
    for name, value in [*parameters.items(), ("wait_for", payload.get("wait_for"))]:
        try:
            store.serializer.dumps(value)
        except Exception as exc:
            cause = exc.__cause__ or exc
            raise exceptions.SerializationError(
                f"Task {task.name!r}: the argument {name!r} ({type(value).__name__}) cannot be"
                f" serialised for a task worker with the {store.serializer.type!r} serializer:"
                f" {cause}. Pass a value that can be (plain data, or something the worker can"
                " open itself, such as a path or a URL instead of an open file or connection).",
                parameter=name,
            ) from exc


def schedule(
    task: Task[Any, Any],
    parameters: dict[str, Any],
    wait_for: Iterable[Any] | None = None,
    dependencies_: Mapping[str, Any] | None = None,
) -> PrefectDistributedFuture[Any]:
    """Create a Scheduled background run of ``task`` with ``parameters`` for a task worker;
    return its future. Raises ``SerializationError`` (naming the argument) at the call when an
    argument cannot be stored."""
    from praefect.futures import PrefectDistributedFuture
    from praefect.states import Scheduled

    wait_list = list(wait_for) if wait_for else []
    task_inputs, _, _ = dependencies.collect(parameters, wait_list)
    for name, inputs in (dependencies_ or {}).items():
        task_inputs.setdefault(name, []).extend(_as_inputs(inputs))
    store = _result_store(task)
    payload = {"parameters": parameters, "wait_for": wait_list}
    parameters_id = uuid7()
    try:
        store_parameters(store, parameters_id, payload)
    except exceptions.SerializationError:
        _check_serialisable(task, store, payload)
        raise
    run_id = uuid7()
    now = _clock.now()
    row = {
        "id": run_id,
        "name": _run_name(task, parameters),
        "task_key": task.task_key,
        "dynamic_key": run_id.hex[-8:],
        "task_version": task.version,
        "tags": sorted(task.tags),
        "task_inputs": task_inputs,
        "empirical_policy": task.empirical_policy,
        "expected_start_time": now,
        "created": now,
    }
    state = Scheduled(
        scheduled_time=now,
        state_details={"deferred": True, "task_parameters_id": parameters_id},
    )
    shared.client().schedule_task_run(row, state)
    return PrefectDistributedFuture(run_id)


def _as_inputs(items: Any) -> list[dict[str, Any]]:
    inputs = []
    for item in items if isinstance(items, list | tuple | set) else [items]:
        if isinstance(item, dict):
            inputs.append(item)
        else:
            run_id = dependencies.task_run_id_of(item) or getattr(item, "id", None)
            if run_id is not None:
                inputs.append({"input_type": "task_run", "id": str(run_id)})
    return inputs


def background_task(task: Task[Any, Any]) -> Task[Any, Any]:
    """``task`` as a task worker runs it: its result persisted unless it says otherwise (the
    caller of ``.delay()`` reads it from result storage)."""
    if task.persist_result is None:
        return task.with_options(persist_result=True)
    return task


def _run_name(task: Task[Any, Any], parameters: dict[str, Any]) -> str:
    from praefect.engine import task_engine

    return task_engine._task_run_name(task, parameters)


def run_claimed(task: Task[Any, Any], run: Mapping[str, Any]) -> State:
    """Run a background task run this worker claimed (``run``: its row, in its Pending state
    with the ``task_parameters_id``) in this thread; its states go to the store as any task
    run's do. A run whose parameters cannot be read ends Failed, saying why. The caller reads
    the result from another process: give a ``task`` that persists its result
    (``background_task``)."""
    from praefect.engine import task_engine

    record = TaskRunRecord(task, run["name"], None, list(run.get("tags") or ()), {})
    record.id = run["id"]
    record.dynamic_key = run.get("dynamic_key") or record.dynamic_key
    record.task_inputs = run.get("task_inputs") or {}
    record.run_count = run.get("run_count") or 0
    record.created = run.get("created") or record.created
    record.expected_start_time = run.get("expected_start_time") or record.expected_start_time
    pending: State = run["state"]
    record.state = pending
    try:
        payload = read_parameters(_result_store(task), pending.state_details["task_parameters_id"])
    except Exception as exc:
        from praefect.states import Failed

        failed = Failed(
            message=f"Could not read the parameters of task run {record.id} from result"
            f" storage: {exc}. The task worker needs the result storage the run was"
            " scheduled with.",
            data=exc,
        )
        shared.record_task_run(record, failed)
        return failed
    parameters = payload["parameters"]
    wait_list = payload.get("wait_for") or []
    _, upstreams, needs_resolving = dependencies.collect(parameters, wait_list)
    state = task_engine.run_prepared_sync(task, record, parameters, upstreams, needs_resolving)
    if state.type is StateType.CRASHED:
        _logger.warning("Task run %s crashed: %s", record.id, state.message)
    return state
