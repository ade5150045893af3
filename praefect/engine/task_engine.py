"""The task run logic, written once (``task_steps``), and the calls that drive it."""

from __future__ import annotations

import datetime as _dt
import logging
import random
from typing import TYPE_CHECKING, Any

from praefect import exceptions
from praefect.concurrency import _slots
from praefect.concurrency.v1 import sync as v1_sync
from praefect.context import FlowRunContext, TagsContext, TaskRunContext
from praefect.engine import caching, dependencies, shared
from praefect.engine.drivers import (
    Block,
    Call,
    Hook,
    Offload,
    Sleep,
    Steps,
    drive_async,
    drive_sync,
)
from praefect.engine.records import TaskRunRecord
from praefect.logging import console, lifecycle
from praefect.schemas.states import State, StateType
from praefect.states import (
    AwaitingConcurrencySlot,
    AwaitingRetry,
    Completed,
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

if TYPE_CHECKING:
    from praefect.tasks import Task

__all__ = [
    "create_task_run",
    "run_prepared_sync",
    "run_task_async",
    "run_task_sync",
    "task_steps",
]

_INFO = logging.INFO
_PLAIN = frozenset({int, float, str, bytes, bool, type(None), dict})
_TASK_LOGGER = logging.getLogger("praefect.task_runs")


def _task_run_name(task: Task[Any, Any] | shared.WrapperTask, parameters: dict[str, Any]) -> str:
    if task.task_run_name is None:
        return f"{task.name}-{random.getrandbits(12):03x}"
    return names.format_run_name(
        task.task_run_name, parameters, f"Task {task.name!r}", "task_run_name"
    )


def create_task_run(
    task: Task[Any, Any] | shared.WrapperTask,
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
            run.name = _task_run_name(task, parameters)
        finally:
            TaskRunContext._var.reset(token)
    shared.record_task_run(run, Pending())
    return run, upstreams, needs_resolving


def task_steps(
    task: Task[Any, Any],
    run: TaskRunRecord,
    parameters: dict[str, Any],
    upstreams: list[dependencies.Upstream],
    needs_resolving: bool,
) -> Steps:
    """The life of one task run: wait for upstreams, take a cached result or run with
    retries, finish. Yields effects (see ``drivers``) and returns the final state."""
    if upstreams:
        unready = yield Block(dependencies.first_unready, (upstreams,))
        if unready is not None:
            state = shared.not_ready(unready)
            shared.record_task_run(run, state)
            return state
    if needs_resolving:
        parameters = dependencies.resolve(parameters)
    flow_ctx = run.flow_context
    log_prints = task.log_prints
    if log_prints is None:
        log_prints = flow_ctx.log_prints if flow_ctx is not None else False
    ctx = TaskRunContext(task, run, parameters, log_prints)
    plan = _result_plan(task, run, ctx) if caching.wants_results(task, flow_ctx) else None
    if plan is not None:
        cached = _cached(run, plan)
        if cached is not None:
            if task.on_completion:
                yield from shared.run_hooks(task, run, cached, task.on_completion)
            return cached

    lease = None
    if run.tags:
        try:
            lease = yield Offload(_take_tag_slots, (run,))
        except exceptions.ConcurrencySlotAcquisitionError as exc:
            state = Failed(message=str(exc), data=exc)
            hooks = _finish(task, run, state, _clock.now(), plan)
            if hooks:
                yield from shared.run_hooks(task, run, state, hooks)
            return state
        except BaseException as exc:  # interrupted while waiting: it never ran
            _crash(run, exc, _clock.now(), plan)
            raise
    try:
        state, started = yield from _attempts(task, run, ctx, parameters, plan)
    finally:
        # whatever the way the run ends (a crash, a cancellation included)
        if lease is not None:
            _slots.release(lease)
    hooks = _finish(task, run, state, started, plan)
    if hooks:
        yield from shared.run_hooks(task, run, state, hooks)
    return state


def _take_tag_slots(run: TaskRunRecord) -> _slots.Lease | None:
    """A slot of the limit of each of the run's tags (None when none has a limit), waiting in
    ``AwaitingConcurrencySlot`` while they are full; a limit of 0 fails the run."""
    waiting = False

    def refused(answer: dict[str, Any]) -> None:
        nonlocal waiting
        closed = [b["name"].removeprefix("tag:") for b in answer["blocked"] if b["limit"] == 0]
        if closed:
            raise exceptions.ConcurrencySlotAcquisitionError(
                f"The concurrency limit of tag(s) {', '.join(map(repr, closed))} is 0: no task"
                " run with them can run. Raise it (`praefect concurrency-limit create TAG N`)"
                " or delete it.",
                names=closed,
            )
        if not waiting:
            waiting = True
            full = ", ".join(b["name"].removeprefix("tag:") for b in answer["blocked"])
            shared.record_task_run(
                run, AwaitingConcurrencySlot(message=f"Waiting for a slot of tag(s) {full}.")
            )

    tags = _slots.limited_tags(run.tags)
    if not tags:
        return None
    return _slots.acquire(
        v1_sync.tag_limit_names(tags),
        lease_duration=v1_sync.TASK_LEASE_SECONDS,
        holder={"type": "task_run", "id": run.id},
        warn=False,
        on_refused=refused,
    )


def _attempts(
    task: Task[Any, Any],
    run: TaskRunRecord,
    ctx: TaskRunContext,
    parameters: dict[str, Any],
    plan: caching.ResultPlan | None,
) -> Steps:
    """Run the user's function, retrying failed attempts as the task says; the final state
    and when its last attempt started."""
    timeout = task.timeout_seconds
    timeout_error = (
        exceptions.TaskRunTimeoutError(f"Task run exceeded timeout of {timeout} second(s)")
        if timeout is not None
        else None
    )
    while True:
        started, running = _start_attempt(run)
        if task.on_running:
            yield from shared.run_hooks(task, run, running, task.on_running)
        token = TaskRunContext._var.set(ctx)
        try:
            value = yield Call(task.fn, parameters, task.call_plan, timeout, timeout_error)
        except Exception as exc:
            state = _failed(exc)
        except BaseException as exc:
            TaskRunContext._var.reset(token)
            _crash(run, exc, started, plan)
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
        if state.type is StateType.FAILED and run.run_count <= task.retry_policy.retries:
            if (yield from _retry(task, run, state, started)):
                continue
            state.state_details["retriable"] = False
        break
    return state, started


def _result_plan(
    task: Task[Any, Any], run: TaskRunRecord, ctx: TaskRunContext
) -> caching.ResultPlan:
    """The run's result persistence and cache key, begun (for a task that persists its result
    or runs in a transaction: the common case skips this)."""
    plan = caching.ResultPlan(task, ctx, ctx.parameters, run.flow_context)
    ctx.persist_result = plan.persist
    ctx.result_store = plan.store
    run.cache_key = plan.key
    plan.begin()
    return plan


def _cached(run: TaskRunRecord, plan: caching.ResultPlan) -> State | None:
    """The run ended ``Cached`` when its key has a valid record (None otherwise)."""
    record = plan.cached_record(run.name)
    if record is None:
        return None
    state = Completed(name="Cached", data=record, state_details={"cache_key": plan.key})
    run.end_time = _clock.now()
    shared.record_task_run(run, state)
    plan.finish(ok=True)
    if _TASK_LOGGER.isEnabledFor(_INFO):
        _lifecycle_message(run, f"Finished in state {shared.state_repr(state)}")
    return state


def _start_attempt(run: TaskRunRecord) -> tuple[_dt.datetime, State]:
    """Count the attempt and record it Running (Retrying after the first)."""
    run.run_count += 1
    started = _clock.now()
    if run.start_time is None:
        run.start_time = started
    state = Running() if run.run_count == 1 else Retrying()
    shared.record_task_run(run, state)
    return started, state


def _failed(exc: Exception) -> State:
    if isinstance(exc, exceptions.TaskRunTimeoutError):
        return Failed(name="TimedOut", message=str(exc), data=exc)
    return Failed(data=exc, message=f"Task run encountered an exception {format_exception(exc)}")


def _crash(
    run: TaskRunRecord,
    exc: BaseException,
    started: _dt.datetime,
    plan: caching.ResultPlan | None,
) -> None:
    """The run's end when something other than an ``Exception`` left the user's code (a
    ``KeyboardInterrupt``, a cancellation): it is Crashed, and the exception goes on."""
    crashed = exception_to_crashed_state(exc)
    _end(run, crashed, started)
    if plan is not None:
        plan.crash(exc)
    if run.run_count:
        run.logger().error("Crashed: %s", crashed.message)


def _retry(task: Task[Any, Any], run: TaskRunRecord, state: State, started: _dt.datetime) -> Steps:
    """Whether the failed attempt is retried; if so, record AwaitingRetry and wait the delay."""
    if task.retry_condition_fn is not None:
        try:
            retry = bool((yield Hook(task.retry_condition_fn, (task, run, state))))
        except Exception:
            run.logger().exception("retry_condition_fn raised; the run is not retried.")
            retry = False
        if not retry:
            return False
    policy = task.retry_policy
    delay = policy.delay(run.run_count)
    run.total_run_time += (_clock.now() - started).total_seconds()
    run.logger().error(
        "Task run failed with exception: %s - Retry %s/%s will start %s",
        shared.describe(state),
        run.run_count,
        policy.retries,
        f"in {delay:g} second(s)" if delay else "immediately",
        exc_info=shared.exc_info(state),
    )
    scheduled = _clock.now() + _dt.timedelta(seconds=delay)
    shared.record_task_run(run, AwaitingRetry(scheduled_time=scheduled, message=state.message))
    yield Sleep(delay)
    return True


def _finish(
    task: Task[Any, Any],
    run: TaskRunRecord,
    state: State,
    started: _dt.datetime,
    plan: caching.ResultPlan | None,
) -> Any:
    """Commit or roll back the run's result, record its final state and log it; the hooks to
    run then."""
    completed = state.type is StateType.COMPLETED
    if plan is not None:
        if completed:
            plan.stage(state, on_rolled_back=lambda txn: shared.record_task_run(run, RolledBack()))
        elif state.type is StateType.FAILED:
            plan.persist_exception(state)
        plan.finish(ok=completed)
    _end(run, state, started)
    if completed:
        if _TASK_LOGGER.isEnabledFor(_INFO):
            _lifecycle_message(run, f"Finished in state {shared.state_repr(state)}", store=False)
        return task.on_completion
    logger = run.logger()
    if state.type is StateType.FAILED:
        suffix = " - Retries are exhausted" if task.retry_policy.retries else ""
        logger.error(
            "Task run failed with exception: %s%s",
            shared.describe(state),
            suffix,
            exc_info=shared.exc_info(state),
        )
    logger.info("Finished in state %s", shared.state_repr(state))
    if state.type in (StateType.FAILED, StateType.CRASHED):
        return task.on_failure
    return ()


def _lifecycle_message(run: TaskRunRecord, message: str, store: bool = True) -> None:
    ctx = run.flow_context
    client = (ctx.client if ctx is not None else None) or shared.client()
    lifecycle.task_run_message(run, _INFO, message, client, store)


def _end(run: TaskRunRecord, state: State, started: _dt.datetime) -> None:
    now = _clock.now()
    run.end_time = now
    run.total_run_time += (now - started).total_seconds()
    shared.record_task_run(run, state)


def run_task_sync(
    task: Task[Any, Any],
    parameters: dict[str, Any],
    wait_for: Any = None,
    return_type: str = "result",
) -> Any:
    """Call a sync task now, in this thread."""
    flow_ctx = FlowRunContext.enclosing()
    run, upstreams, needs_resolving = create_task_run(task, parameters, wait_for, flow_ctx)
    state = drive_sync(task_steps(task, run, parameters, upstreams, needs_resolving))
    if flow_ctx is None:
        shared.client().flush()
        console.flush()
    return state if return_type == "state" else state.result()


async def run_task_async(
    task: Task[Any, Any],
    parameters: dict[str, Any],
    wait_for: Any = None,
    return_type: str = "result",
) -> Any:
    """Await an async task now, in this event loop."""
    flow_ctx = FlowRunContext.enclosing()
    run, upstreams, needs_resolving = create_task_run(task, parameters, wait_for, flow_ctx)
    state = await drive_async(task_steps(task, run, parameters, upstreams, needs_resolving))
    if flow_ctx is None:
        shared.client().flush()
        console.flush()
    return state if return_type == "state" else state.result()


def run_prepared_sync(
    task: Task[Any, Any],
    run: TaskRunRecord,
    parameters: dict[str, Any],
    upstreams: list[dependencies.Upstream],
    needs_resolving: bool,
) -> State:
    """Run a task run created beforehand (by a task runner's ``submit``) in this thread."""
    steps = task_steps(task, run, parameters, upstreams, needs_resolving)
    if task.is_async:
        from praefect.engine import loops

        return loops.run_in_thread_loop(drive_async(steps))
    return drive_sync(steps)
