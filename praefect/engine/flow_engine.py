"""The flow run logic, written once (``flow_steps``), and the calls that drive it.

Flow-run state changes are proposed to the orchestration service synchronously (it may refuse
them: retries are decided there, as are cancellation and pauses); task runs are recorded behind.
"""

from __future__ import annotations

import datetime as _dt
import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from praefect import exceptions
from praefect.context import FlowRunContext, TagsContext
from praefect.engine import caching, dependencies, heartbeat, shared, task_engine
from praefect.engine.drivers import Block, Call, Sleep, Steps, drive_async, drive_sync
from praefect.engine.records import FlowRunRecord, TaskRunRecord
from praefect.schemas.states import State, StateType
from praefect.states import (
    AwaitingRetry,
    Failed,
    Pending,
    Retrying,
    Running,
    exception_to_crashed_state,
    format_exception,
    return_value_to_state,
)
from praefect.utilities import clock as _clock
from praefect.utilities.names import format_run_name, generate_slug

if TYPE_CHECKING:
    from praefect.client.base import OrchestrationClient
    from praefect.flows import Flow

__all__ = ["flow_steps", "run_flow_async", "run_flow_sync"]


@dataclass(slots=True)
class _Run:
    """What the phases of one flow run share."""

    flow: Flow[Any, Any]
    record: FlowRunRecord
    ctx: FlowRunContext
    client: Any
    parent: FlowRunContext | None
    """The enclosing flow run's context, for a subflow."""
    wrapper: TaskRunRecord | None = None
    """The task run standing for a subflow in its parent's graph."""
    attempt: int | None = None
    """The attempt this process runs (the run count when it entered Running): every proposal
    it makes carries it, and the orchestrator refuses them once a newer attempt has started."""


def _flow_run_name(flow: Flow[Any, Any], parameters: dict[str, Any]) -> str:
    if flow.flow_run_name is None:
        return generate_slug()
    return format_run_name(flow.flow_run_name, parameters, f"Flow {flow.name!r}", "flow_run_name")


def flow_steps(
    flow: Flow[Any, Any], parameters: dict[str, Any], wait_for: Any = None, existing: Any = None
) -> Steps:
    """The life of one flow run. Yields effects (see ``drivers``), returns the final state.

    ``existing`` (a stored flow run, as ``client.read_flow_run`` returns it) runs a new attempt
    of that run instead of creating one: the resume path of ``praefect flow-run retry``.
    """
    r, upstreams, needs_resolving = _setup(flow, parameters, wait_for)
    run, ctx, client = r.record, r.ctx, r.client
    if existing is not None:
        r.attempt = yield from _resume(client, run, ctx, existing)
    else:
        yield from _create(client, flow, run, ctx, parameters)
    logger = run.logger()
    logger.info("Beginning flow run %r for flow %r", run.name, flow.name)

    if upstreams:
        unready = yield Block(dependencies.first_unready, (upstreams,))
        if unready is not None:
            return (yield from _not_ready(r, shared.not_ready(unready)))
    if needs_resolving:
        parameters = ctx.parameters = dependencies.resolve(parameters)
    if flow.should_validate_parameters:
        try:
            parameters = ctx.parameters = flow.validate_parameters(parameters)
        except exceptions.ParameterTypeError as exc:
            return (yield from _invalid_parameters(r, exc))

    timeout = flow.timeout_seconds
    timeout_error = (
        exceptions.FlowRunTimeoutError(f"Flow run exceeded timeout of {timeout} second(s)")
        if timeout is not None
        else None
    )
    # a suspended run run again after its resume goes on in the same attempt
    resuming = run.state is not None and run.state.name == "Resuming"
    while True:
        start = Running() if run.run_count == 0 or resuming else Retrying()
        start.state_details.update(hostname=socket.gethostname(), pid=os.getpid())
        accepted = yield from _propose(client, run, _fenced(start, r.attempt))
        if accepted.type is not StateType.RUNNING:
            accepted.state_details["flow_run_id"] = run.id
            shared.record_wrapper(r.wrapper, accepted)
            return accepted
        _start_attempt(r, accepted)
        if flow.on_running:
            yield from shared.run_hooks(flow, run, accepted, flow.on_running)

        token = FlowRunContext._var.set(ctx)
        state: State | None
        try:
            value = yield Call(flow.fn, parameters, flow.call_plan, timeout, timeout_error)
        except exceptions.FlowRunTimeoutError as exc:
            state = Failed(name="TimedOut", message=str(exc), data=exc)
        except Exception as exc:
            state = Failed(
                data=exc, message=f"Flow run encountered an exception: {format_exception(exc)}"
            )
        except exceptions.Pause as exc:
            FlowRunContext._var.reset(token)
            _suspended(r, exc)
            raise
        except BaseException as exc:
            FlowRunContext._var.reset(token)
            yield from _crash(r, exc)
            raise
        else:
            state = None  # the return value's state, once the task runner is left
        finally:
            if FlowRunContext._var.get() is ctx:
                FlowRunContext._var.reset(token)
        yield Block(ctx.task_runner.__exit__, (None, None, None))
        if state is None:
            state = _returned_state(value)
        if state.type is StateType.FAILED:
            logger.error(
                "Encountered exception during execution: %s",
                shared.describe(state),
                exc_info=shared.exc_info(state),
            )
        if state.type is StateType.COMPLETED and ctx.persist_result:
            caching.persist_flow_result(flow, ctx, state)
        if r.parent is None:
            yield Block(client.flush)
        result = yield Block(client.set_flow_run_state, (run.id, _fenced(state, r.attempt)))
        if result.status.value == "ABORT" and _ended_while_paused(state, result):
            final = result.state  # cancelled, or failed by the pause expiry check, first
            break
        if result.status.value == "ABORT":
            heartbeat.unregister(run.id)
            raise _aborted(run, result)
        if _is_retry(result):
            yield from _await_retry(r, state, result.state)
            continue
        final = state if result.status.value == "ACCEPT" else (result.state or state)
        break
    return (yield from _finish(r, final))


def _setup(
    flow: Flow[Any, Any], parameters: dict[str, Any], wait_for: Any
) -> tuple[_Run, list[dependencies.Upstream], bool]:
    """The run's record and context, and, for a subflow, its wrapper task run in the parent's
    graph (whose task inputs record the futures passed in); its upstreams."""
    client = shared.client()
    parent = FlowRunContext.enclosing()
    extra_tags = TagsContext._var.get()
    run = FlowRunRecord(flow, parameters, sorted(flow.tags | extra_tags))
    runner = flow.task_runner.duplicate()
    root_id = parent.root_flow_run_id if parent is not None else run.id
    ctx = FlowRunContext(flow, run, parameters, runner, bool(flow.log_prints), root_id)
    ctx.client = client
    caching.flow_result_setup(flow, ctx)
    r = _Run(flow, run, ctx, client, parent)
    if parent is None:
        _, upstreams, needs_resolving = dependencies.collect(parameters, wait_for)
        return r, upstreams, needs_resolving
    if flow.log_prints is None:
        ctx.log_prints = parent.log_prints
    run.parent_flow_run_id = parent.flow_run.id
    wrapper, upstreams, needs_resolving = task_engine.create_task_run(
        shared.WrapperTask(flow.name, f"{flow.name}-subflow", flow.version),
        parameters,
        wait_for,
        parent,
    )
    wrapper.name = f"{flow.name}-{wrapper.name.rsplit('-', 1)[-1]}"
    run.parent_task_run_id = wrapper.id
    r.wrapper = wrapper
    return r, upstreams, needs_resolving


def _not_ready(r: _Run, state: State) -> Steps:
    """The run ends Pending ``NotReady``: an upstream did not complete."""
    run = r.record
    yield Block(r.client.set_flow_run_state, (run.id, state, True))
    run.state = state
    state.state_details["flow_run_id"] = run.id
    shared.record_wrapper(r.wrapper, state)
    return state


def _invalid_parameters(r: _Run, exc: exceptions.ParameterTypeError) -> Steps:
    """The run fails before its first attempt: its parameters do not validate."""
    run = r.record
    state = Failed(data=exc, message=f"Validation of flow parameters failed: {exc}")
    run.logger().error("%s", state.message)
    final = yield from _propose_final(r.client, run, state)
    shared.record_wrapper(r.wrapper, final)
    yield from _run_hooks(r.flow, run, final)
    return final


def _start_attempt(r: _Run, running: State) -> None:
    run = r.record
    run.run_count += 1
    r.attempt = running.state_details.get("attempt") or run.run_count
    run.run_count = r.attempt
    heartbeat.register(run.id, r.client, r.attempt)
    if run.start_time is None:
        run.start_time = _clock.now()
    shared.record_wrapper(r.wrapper, running)


def _crash(r: _Run, exc: BaseException) -> Steps:
    """The run's end when something other than an ``Exception`` left the flow's code (a
    ``KeyboardInterrupt``, a signal): recorded Crashed at once, then its ``on_crashed`` hooks;
    the caller re-raises."""
    run, client = r.record, r.client
    r.ctx.task_runner.__exit__(None, None, None)
    crashed = exception_to_crashed_state(exc)
    run.logger().error("Crashed: %s", crashed.message)
    if r.parent is None:
        client.flush()
    heartbeat.unregister(run.id)
    client.set_flow_run_state(run.id, _fenced(crashed, r.attempt), force=True)
    run.state = crashed
    crashed.state_details["flow_run_id"] = run.id
    shared.record_wrapper(r.wrapper, crashed)
    if r.flow.on_crashed:
        yield from shared.run_hooks(r.flow, run, crashed, r.flow.on_crashed)


def _suspended(r: _Run, signal: exceptions.Pause) -> None:
    """The run was suspended (``suspend_flow_run``): its state is already Suspended; this
    process stops here, and a worker runs the flow again when it is resumed."""
    run, client = r.record, r.client
    r.ctx.task_runner.__exit__(None, None, None)
    if r.parent is None:
        client.flush()
    heartbeat.unregister(run.id)
    if signal.state is not None:
        run.state = signal.state
        shared.record_wrapper(r.wrapper, signal.state)
    run.logger().info("Suspended: the flow run goes on when it is resumed.")


def _ended_while_paused(proposed: State, result: Any) -> bool:
    """The run ended while it was paused (cancelled, or failed by the pause expiry check)
    before this process, whose pause gave up, proposed its own Failed state: the run keeps
    the state it ended in."""
    current = result.state
    return (
        isinstance(proposed.data, exceptions.FlowPauseTimeout)
        and current is not None
        and current.type in (StateType.FAILED, StateType.CANCELLED)
    )


def _returned_state(value: Any) -> State:
    """The state a flow's return value stands for."""
    state = return_value_to_state(value)
    if isinstance(value, State):
        # A returned state (a subflow's, say) becomes a new state of this run: its own id is
        # already in the history, and its data (None too) is the result.
        state = state.fresh_copy()
    return state


def _is_retry(result: Any) -> bool:
    """The orchestrator answered a final state with a Scheduled one: the flow's retries."""
    return (
        result.status.value == "REJECT"
        and result.state is not None
        and result.state.type is StateType.SCHEDULED
    )


def _await_retry(r: _Run, proposed: State, retry_state: State) -> Steps:
    """Wait until the retry's scheduled time, with a fresh task runner for the next attempt."""
    run = r.record
    run.state = retry_state
    scheduled = retry_state.state_details.get("scheduled_time")
    delay = 0.0
    if scheduled is not None:
        if isinstance(scheduled, str):
            scheduled = _dt.datetime.fromisoformat(scheduled)
        delay = max(0.0, (scheduled - _clock.now()).total_seconds())
    run.logger().info(
        "Received non-final state %r when proposing final state %r and will attempt to "
        "run again...",
        retry_state.name,
        proposed.name,
    )
    r.ctx.task_runner = r.flow.task_runner.duplicate()
    yield Sleep(delay)


def _finish(r: _Run, final: State) -> Steps:
    run = r.record
    if final.state_details.get("flow_run_id", run.id) != run.id:
        final = final.copy()  # a returned subflow state: keep the child's own copy intact
    final.state_details["flow_run_id"] = run.id
    heartbeat.unregister(run.id)
    run.state = final
    run.end_time = _clock.now()
    shared.record_wrapper(r.wrapper, final)
    run.logger().info("Finished in state %s", shared.state_repr(final))
    yield from _run_hooks(r.flow, run, final)
    return final


def _create(
    client: OrchestrationClient,
    flow: Flow[Any, Any],
    run: FlowRunRecord,
    ctx: FlowRunContext,
    parameters: dict[str, Any],
) -> Steps:
    """Name the run and store it Pending (its flow first, if new)."""
    token = FlowRunContext._var.set(ctx)
    try:
        run.name = _flow_run_name(flow, parameters)
    finally:
        FlowRunContext._var.reset(token)

    run.flow_id = yield Block(client.ensure_flow, (flow.name,))
    run.state = Pending()
    yield Block(
        client.create_flow_run,
        (
            {
                "id": run.id,
                "name": run.name,
                "flow_id": run.flow_id,
                "parameters": shared.jsonable_parameters(parameters),
                "tags": run.tags,
                "parent_task_run_id": run.parent_task_run_id,
                "flow_version": run.flow_version,
                "empirical_policy": run.empirical_policy,
                "run_count": 0,
                "state": run.state,
                "entrypoint": flow.entrypoint,
                "hostname": socket.gethostname(),
                "pid": os.getpid(),
            },
        ),
    )


_WAITING_TO_START = frozenset({StateType.SCHEDULED, StateType.PENDING})
_ATTEMPT_GOING_ON = frozenset({StateType.RUNNING, StateType.CANCELLING})


def _resume(
    client: OrchestrationClient, run: FlowRunRecord, ctx: FlowRunContext, existing: Any
) -> Steps:
    """Take over a stored run: one waiting to start (Scheduled or Pending, as a worker or
    runner hands it over) starts as is; a Failed or Crashed one gets a new attempt. Same id,
    name and history either way. A run that is running is left to the process running it.
    Returns the run count read, which fences this process's proposals: they are refused if
    another attempt starts first."""
    run.id = existing["id"]
    ctx.root_flow_run_id = run.id
    run.name = existing["name"]
    run.flow_id = existing["flow_id"]
    run.run_count = existing.get("run_count") or 0
    run.tags = list(existing.get("tags") or run.tags)
    run.parent_task_run_id = existing.get("parent_task_run_id")
    current = existing.get("state")
    if current is not None and current.type in _ATTEMPT_GOING_ON:
        raise exceptions.Abort(
            f"Flow run {run.name!r} is {current.name} in attempt {run.run_count} (pid "
            f"{existing.get('pid')} on {existing.get('hostname')}); a second attempt cannot run "
            "beside it: wait for it to finish, or cancel it first."
        )
    # the flow's retry policy: the server's rules retry (and reschedule a crash) by it
    policy = {**(existing.get("empirical_policy") or {}), **run.empirical_policy}
    yield Block(lambda: client.update_flow_run(run.id, empirical_policy=policy))
    if current is not None and current.type in _WAITING_TO_START:
        run.state = current
        return run.run_count
    retry = AwaitingRetry(message="Retried by request: a new attempt of this flow run.")
    result = yield Block(client.set_flow_run_state, (run.id, _fenced(retry, run.run_count), True))
    if result.status.value == "ABORT":
        raise _aborted(run, result)
    run.state = result.state or retry
    return run.run_count


def _fenced(state: State, attempt: int | None) -> State:
    """``state`` as proposed by ``attempt`` (see ``rules.FenceStaleAttempts``)."""
    if attempt is not None:
        state.state_details["attempt"] = attempt
    return state


def _aborted(run: FlowRunRecord, result: Any) -> exceptions.Abort:
    reason = getattr(result.details, "reason", None) or "the orchestrator aborted it"
    return exceptions.Abort(f"Flow run {run.name!r} was aborted: {reason}")


def _propose(client: OrchestrationClient, run: FlowRunRecord, state: State) -> Steps:
    """Propose ``state``; wait and propose again on WAIT; return the state now current."""
    for _ in range(1000):
        result = yield Block(client.set_flow_run_state, (run.id, state))
        status = result.status.value
        if status == "WAIT":
            yield Sleep(float(getattr(result.details, "delay_seconds", 0) or 0))
            state = state.fresh_copy()
            continue
        if status == "ACCEPT":
            if result.state is not None and "attempt" in result.state.state_details:
                state.state_details["attempt"] = result.state.state_details["attempt"]
            run.state = state
            return state
        if status == "ABORT":
            raise _aborted(run, result)
        run.state = result.state
        return result.state
    raise exceptions.Abort(f"Flow run {run.name!r} waited too long to enter {state.name}.")


def _propose_final(client: OrchestrationClient, run: FlowRunRecord, state: State) -> Steps:
    """Propose a final state (the task runs recorded first); the state the run ends in."""
    yield Block(client.flush)
    result = yield Block(client.set_flow_run_state, (run.id, state))
    final = state if result.status.value == "ACCEPT" else (result.state or state)
    final.state_details["flow_run_id"] = run.id
    run.state = final
    return final


def _run_hooks(flow: Flow[Any, Any], run: FlowRunRecord, state: State) -> Steps:
    """The hooks of the state a run ended in."""
    match state.type:
        case StateType.COMPLETED:
            hooks = flow.on_completion
        case StateType.FAILED:
            hooks = flow.on_failure
        case StateType.CRASHED:
            hooks = flow.on_crashed
        case StateType.CANCELLED:
            hooks = flow.on_cancellation
        case _:
            hooks = ()
    if hooks:
        yield from shared.run_hooks(flow, run, state, hooks)


def _flush_console() -> None:
    from praefect.logging import console

    console.flush()


def run_flow_sync(
    flow: Flow[Any, Any],
    parameters: dict[str, Any],
    wait_for: Any = None,
    return_type: str = "result",
    existing: Any = None,
) -> Any:
    """Run a sync flow now, in this thread (``existing``: a new attempt of a stored run)."""
    try:
        state = drive_sync(flow_steps(flow, parameters, wait_for, existing))
    finally:
        _flush_console()
    return state if return_type == "state" else state.result()


async def run_flow_async(
    flow: Flow[Any, Any],
    parameters: dict[str, Any],
    wait_for: Any = None,
    return_type: str = "result",
    existing: Any = None,
) -> Any:
    """Await an async flow now, in this event loop (``existing``: see ``run_flow_sync``)."""
    try:
        state = await drive_async(flow_steps(flow, parameters, wait_for, existing))
    finally:
        _flush_console()
    return state if return_type == "state" else state.result()
