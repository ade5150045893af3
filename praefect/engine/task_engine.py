"""The task run logic, written once (``task_steps``), and the calls that drive it."""

from __future__ import annotations

import datetime as _dt
import logging
import random
from typing import Any

from praefect import exceptions
from praefect.context import FlowRunContext, TagsContext, TaskRunContext
from praefect.engine import caching, dependencies
from praefect.engine.drivers import BLOCK, CALL, HOOK, SLEEP, drive_async, drive_sync
from praefect.engine.records import TaskRunRecord
from praefect.logging import lifecycle
from praefect.schemas.states import State, StateType
from praefect.states import (
    AwaitingRetry,
    Completed,
    Crashed,
    Failed,
    Pending,
    Retrying,
    RolledBack,
    Running,
    exception_to_crashed_state,
    format_exception,
    return_value_to_state,
)
from praefect.utilities import clock as _clock
from praefect.utilities import names

_INFO = logging.INFO


_client_module: Any = None


def _client() -> Any:
    global _client_module
    if _client_module is None:
        from praefect import client

        _client_module = client
    return _client_module.get_orchestration_client()


_PLAIN = frozenset({int, float, str, bytes, bool, type(None), dict})
_TASK_LOGGER = logging.getLogger("praefect.task_runs")


def _task_run_name(task: Any, parameters: dict[str, Any], run: TaskRunRecord | None) -> str:
    if task.task_run_name is None:
        return f"{task.name}-{random.getrandbits(12):03x}"
    return names.format_run_name(
        task.task_run_name, parameters, f"Task {task.name!r}", "task_run_name"
    )


def create_task_run(
    task: Any,
    parameters: dict[str, Any],
    wait_for: Any,
    flow_ctx: FlowRunContext | None,
) -> tuple[TaskRunRecord, list[dependencies.Upstream], bool]:
    """Create the record of a task run and store it Pending (before it waits for anything, so
    the run graph is complete even when upstreams fail)."""
    task_inputs, upstreams, needs_resolving = dependencies.collect(parameters, wait_for)
    parent = TaskRunContext._var.get()
    if parent is not None:
        # A task run started inside another: Prefect links it to its parent in the graph.
        task_inputs["__parents__"] = [{"input_type": "task_run", "id": str(parent.task_run.id)}]
    extra_tags = TagsContext._var.get()
    tags = list(task.tags | extra_tags) if extra_tags else list(task.tags)
    run = TaskRunRecord(task, "", flow_ctx, tags, task_inputs)
    if task.task_run_name is None:
        run.name = f"{task.name}-{random.getrandbits(12):03x}"
    else:
        token = TaskRunContext._var.set(TaskRunContext(task, run, parameters, False))
        try:
            run.name = _task_run_name(task, parameters, run)
        finally:
            TaskRunContext._var.reset(token)
    _record(run, Pending())
    return run, upstreams, needs_resolving


def _record(run: TaskRunRecord, state: State) -> None:
    details = state.state_details
    details["task_run_id"] = run.id
    if run.flow_run_id is not None:
        details["flow_run_id"] = run.flow_run_id
    run.state = state
    ctx = run.flow_context
    client = ctx.client if ctx is not None else None
    (client or _client()).enqueue_task_run(run.to_row(), state)


def task_steps(
    task: Any,
    run: TaskRunRecord,
    parameters: dict[str, Any],
    upstreams: list[dependencies.Upstream],
    needs_resolving: bool,
) -> Any:
    """The life of one task run: wait for upstreams, run with retries, finish. Yields effects
    (see ``drivers``) and returns the final state."""
    if upstreams:
        unready = yield (BLOCK, dependencies.first_unready, (upstreams,))
        if unready is not None:
            up, up_state = unready
            state = Pending(
                name="NotReady",
                message=(
                    f"Upstream task run '{dependencies._task_run_id_of(up.item)}' did not reach "
                    f"a 'COMPLETED' state (it is {up_state.name})."
                ),
            )
            _record(run, state)
            return state
    if needs_resolving:
        parameters = dependencies.resolve(parameters)

    flow_ctx = run.flow_context
    log_prints = task.log_prints
    if log_prints is None:
        log_prints = flow_ctx.log_prints if flow_ctx is not None else False
    policy = task.retry_policy
    timeout = task.timeout_seconds
    timeout_error = (
        exceptions.TaskRunTimeoutError(f"Task run exceeded timeout of {timeout} second(s)")
        if timeout is not None
        else None
    )
    ctx = TaskRunContext(task, run, parameters, log_prints)

    plan = None
    if caching.wants_results(task, flow_ctx):
        plan = caching.ResultPlan(task, ctx, parameters, flow_ctx)
        ctx.persist_result = plan.persist
        ctx.result_store = plan.store
        run.cache_key = plan.key
        plan.begin()
        record = plan.cached_record(run.name)
        if record is not None:
            state = Completed(
                name="Cached",
                data=record,
                state_details={"cache_key": plan.key},
            )
            now = _clock.now()
            run.end_time = now
            _record(run, state)
            plan.finish(ok=True)
            if _TASK_LOGGER.isEnabledFor(_INFO):
                _lifecycle_message(run, f"Finished in state {_state_repr(state)}")
            if task.on_completion:
                yield from _hooks(task, run, state, task.on_completion)
            return state

    while True:
        run.run_count += 1
        started = _clock.now()
        if run.start_time is None:
            run.start_time = started
        _record(run, Running() if run.run_count == 1 else Retrying())
        if task.on_running:
            yield from _hooks(task, run, run.state, task.on_running)

        token = TaskRunContext._var.set(ctx)
        try:
            value = yield (CALL, task.fn, parameters, task.call_plan, timeout, timeout_error)
        except exceptions.TaskRunTimeoutError as exc:
            state = Failed(name="TimedOut", message=str(exc), data=exc)
        except Exception as exc:
            state = Failed(
                data=exc, message=f"Task run encountered an exception {format_exception(exc)}"
            )
        except BaseException as exc:
            TaskRunContext._var.reset(token)
            crashed = exception_to_crashed_state(exc)
            _finish(run, crashed, started)
            if plan is not None:
                plan.crash(exc)
            if run.run_count:
                run.logger().error("Crashed: %s", crashed.message)
            raise
        else:
            if value.__class__ in _PLAIN:
                state = Completed(data=value)
            else:
                # A returned state or future stands for its result (None when it has no data).
                state = return_value_to_state(value)
        finally:
            if TaskRunContext._var.get() is ctx:
                TaskRunContext._var.reset(token)

        if state.type is StateType.FAILED and run.run_count <= policy.retries:
            retry = True
            if task.retry_condition_fn is not None:
                try:
                    retry = bool((yield (HOOK, task.retry_condition_fn, (task, run, state))))
                except Exception:
                    run.logger().exception("retry_condition_fn raised; the run is not retried.")
                    retry = False
            if retry:
                delay = policy.delay(run.run_count)
                run.total_run_time += (_clock.now() - started).total_seconds()
                run.logger().error(
                    "Task run failed with exception: %s - Retry %s/%s will start %s",
                    _describe(state),
                    run.run_count,
                    policy.retries,
                    f"in {delay:g} second(s)" if delay else "immediately",
                    exc_info=_exc_info(state),
                )
                _record(
                    run,
                    AwaitingRetry(
                        scheduled_time=_clock.now() + _dt.timedelta(seconds=delay),
                        message=state.message,
                    ),
                )
                yield (SLEEP, delay)
                continue
            state.state_details["retriable"] = False
        break

    if plan is not None:
        completed = state.type is StateType.COMPLETED
        if completed:
            plan.stage(state, on_rolled_back=lambda txn: _record(run, RolledBack()))
        plan.finish(ok=completed)
    _finish(run, state, started)
    if state.type is StateType.COMPLETED:
        if _TASK_LOGGER.isEnabledFor(_INFO):
            _lifecycle_message(run, f"Finished in state {_state_repr(state)}", store=False)
        if task.on_completion:
            yield from _hooks(task, run, state, task.on_completion)
    else:
        logger = run.logger()
        if state.type is StateType.FAILED:
            suffix = " - Retries are exhausted" if policy.retries else ""
            logger.error(
                "Task run failed with exception: %s%s",
                _describe(state),
                suffix,
                exc_info=_exc_info(state),
            )
        logger.info("Finished in state %s", _state_repr(state))
        if state.type in (StateType.FAILED, StateType.CRASHED) and task.on_failure:
            yield from _hooks(task, run, state, task.on_failure)
    return state


def _lifecycle_message(run: TaskRunRecord, message: str, store: bool = True) -> None:
    ctx = run.flow_context
    client = (ctx.client if ctx is not None else None) or _client()
    lifecycle.task_run_message(run, _INFO, message, client, store)


def _finish(run: TaskRunRecord, state: State, started: _dt.datetime) -> None:
    now = _clock.now()
    run.end_time = now
    run.total_run_time += (now - started).total_seconds()
    _record(run, state)


def _describe(state: State) -> str:
    exc = state.data
    if isinstance(exc, BaseException):
        return f"{type(exc).__name__}({', '.join(repr(a) for a in exc.args)})"
    return state.message or state.name


def _exc_info(state: State) -> Any:
    exc = state.data
    if isinstance(exc, BaseException) and exc.__traceback__ is not None:
        return (type(exc), exc, exc.__traceback__)
    return None


def _state_repr(state: State) -> str:
    if state.message and state.type is not StateType.COMPLETED:
        return f"{state.name}(message={state.message!r}, type={state.type.value})"
    return f"{state.name}()"


def _hooks(task: Any, run: Any, state: State, hooks: Any) -> Any:
    for hook in hooks:
        try:
            yield (HOOK, hook, (task, run, state))
        except Exception:
            run.logger().exception(
                "An error was encountered while running hook %r",
                getattr(hook, "__name__", hook),
            )


def run_task_sync(
    task: Any,
    parameters: dict[str, Any],
    wait_for: Any = None,
    return_type: str = "result",
) -> Any:
    """Call a sync task now, in this thread."""
    flow_ctx = FlowRunContext.enclosing()
    run, upstreams, needs_resolving = create_task_run(task, parameters, wait_for, flow_ctx)
    state = drive_sync(task_steps(task, run, parameters, upstreams, needs_resolving))
    if flow_ctx is None:
        _client().flush()
        lifecycle._console.flush()
    return state if return_type == "state" else state.result()


async def run_task_async(
    task: Any,
    parameters: dict[str, Any],
    wait_for: Any = None,
    return_type: str = "result",
) -> Any:
    """Await an async task now, in this event loop."""
    flow_ctx = FlowRunContext.enclosing()
    run, upstreams, needs_resolving = create_task_run(task, parameters, wait_for, flow_ctx)
    state = await drive_async(task_steps(task, run, parameters, upstreams, needs_resolving))
    if flow_ctx is None:
        _client().flush()
        lifecycle._console.flush()
    return state if return_type == "state" else state.result()


def run_prepared_sync(
    task: Any,
    run: TaskRunRecord,
    parameters: dict[str, Any],
    upstreams: list[dependencies.Upstream],
    needs_resolving: bool,
) -> State:
    """Run a task run created beforehand (by a task runner's ``submit``) in this thread."""
    steps = task_steps(task, run, parameters, upstreams, needs_resolving)
    if task.is_async:
        return drivers_run_async(steps)
    return drive_sync(steps)


def drivers_run_async(steps: Any) -> State:
    from praefect.engine import loops

    return loops.run_in_thread_loop(drive_async(steps))


__all__ = [
    "Completed",
    "Crashed",
    "create_task_run",
    "run_prepared_sync",
    "run_task_async",
    "run_task_sync",
    "task_steps",
]
