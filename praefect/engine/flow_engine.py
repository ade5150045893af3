"""The flow run logic, written once (``flow_steps``), and the calls that drive it.

Flow-run state changes are proposed to the orchestration service synchronously (it may refuse
them: retries are decided there, as are cancellation and pauses); task runs are recorded behind.
"""

from __future__ import annotations

import datetime as _dt
import os
import socket
from typing import Any

from praefect import exceptions
from praefect.context import FlowRunContext, TagsContext
from praefect.engine import caching, dependencies, heartbeat, task_engine
from praefect.engine.drivers import BLOCK, CALL, HOOK, SLEEP, drive_async, drive_sync
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


def _client() -> Any:
    from praefect import client

    return client.get_orchestration_client()


class _SubflowTask:
    """Stands in for a task: the parent flow tracks a subflow through a "wrapper" task run."""

    def __init__(self, flow: Any) -> None:
        self.name = flow.name
        self.task_key = f"{flow.name}-subflow"
        self.version = flow.version
        self.tags: frozenset[str] = frozenset()
        self.task_run_name = None
        self.empirical_policy = {"retries": 0, "retry_delay": [0.0], "retry_jitter_factor": None}


_JSON_ATOMS = frozenset({int, float, str, bool, type(None)})


def _jsonable_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
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


def _flow_run_name(flow: Any, parameters: dict[str, Any]) -> str:
    if flow.flow_run_name is None:
        return generate_slug()
    return format_run_name(flow.flow_run_name, parameters, f"Flow {flow.name!r}", "flow_run_name")


def _record_wrapper(wrapper: TaskRunRecord | None, state: State) -> None:
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
    task_engine._record(wrapper, state.fresh_copy(state_details={}))


def flow_steps(
    flow: Any, parameters: dict[str, Any], wait_for: Any = None, existing: Any = None
) -> Any:
    """The life of one flow run. Yields effects (see ``drivers``), returns the final state.

    ``existing`` (a stored flow run, as ``client.read_flow_run`` returns it) runs a new attempt
    of that run instead of creating one: the resume path of ``praefect flow-run retry``.
    """
    client = _client()
    parent_flow = FlowRunContext.enclosing()
    extra_tags = TagsContext._var.get()
    run = FlowRunRecord(flow, parameters, sorted(flow.tags | extra_tags))
    runner = flow.task_runner.duplicate()
    root_id = parent_flow.root_flow_run_id if parent_flow is not None else run.id
    ctx = FlowRunContext(flow, run, parameters, runner, bool(flow.log_prints), root_id)
    ctx.client = client
    caching.flow_result_setup(flow, ctx)
    if flow.log_prints is None and parent_flow is not None:
        ctx.log_prints = parent_flow.log_prints

    wrapper: TaskRunRecord | None = None
    if parent_flow is not None:
        run.parent_flow_run_id = parent_flow.flow_run.id
        # The wrapper's task_inputs record the futures passed in: the graph shows them.
        wrapper, upstreams, needs_resolving = task_engine.create_task_run(
            _SubflowTask(flow), parameters, wait_for, parent_flow
        )
        wrapper.name = f"{flow.name}-{wrapper.name.rsplit('-', 1)[-1]}"
        run.parent_task_run_id = wrapper.id
    else:
        _, upstreams, needs_resolving = dependencies.collect(parameters, wait_for)

    # The attempt this process runs (the run count when it entered Running): every proposal it
    # makes carries it, and the orchestrator refuses them once a newer attempt has started.
    attempt: int | None = None
    if existing is not None:
        attempt = yield from _resume(client, run, ctx, existing)
    else:
        yield from _create(client, flow, run, ctx, parameters)
    logger = run.logger()
    logger.info("Beginning flow run %r for flow %r", run.name, flow.name)

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
            yield (BLOCK, client.set_flow_run_state, (run.id, state, True))
            run.state = state
            state.state_details["flow_run_id"] = run.id
            _record_wrapper(wrapper, state)
            return state
    if needs_resolving:
        parameters = dependencies.resolve(parameters)
        ctx.parameters = parameters

    if flow.should_validate_parameters:
        try:
            parameters = flow.validate_parameters(parameters)
            ctx.parameters = parameters
        except exceptions.ParameterTypeError as exc:
            state = Failed(data=exc, message=f"Validation of flow parameters failed: {exc}")
            logger.error("%s", state.message)
            final = yield from _propose_final(client, run, state)
            _record_wrapper(wrapper, final)
            yield from _run_hooks(flow, run, final)
            return final

    timeout = flow.timeout_seconds
    timeout_error = (
        exceptions.FlowRunTimeoutError(f"Flow run exceeded timeout of {timeout} second(s)")
        if timeout is not None
        else None
    )
    while True:
        start = Running() if run.run_count == 0 else Retrying()
        start.state_details.update(hostname=socket.gethostname(), pid=os.getpid())
        accepted = yield from _propose(client, run, _fenced(start, attempt))
        if accepted.type is not StateType.RUNNING:
            accepted.state_details["flow_run_id"] = run.id
            _record_wrapper(wrapper, accepted)
            return accepted
        run.run_count += 1
        attempt = accepted.state_details.get("attempt") or run.run_count
        run.run_count = attempt
        heartbeat.register(run.id, client)
        if run.start_time is None:
            run.start_time = _clock.now()
        _record_wrapper(wrapper, accepted)
        if flow.on_running:
            yield from _hooks(flow, run, accepted, flow.on_running)

        token = FlowRunContext._var.set(ctx)
        try:
            value = yield (CALL, flow.fn, parameters, flow.call_plan, timeout, timeout_error)
        except exceptions.FlowRunTimeoutError as exc:
            state = Failed(name="TimedOut", message=str(exc), data=exc)
        except Exception as exc:
            state = Failed(
                data=exc, message=f"Flow run encountered an exception: {format_exception(exc)}"
            )
        except BaseException as exc:
            FlowRunContext._var.reset(token)
            runner.__exit__(None, None, None)
            crashed = exception_to_crashed_state(exc)
            logger.error("Crashed: %s", crashed.message)
            if parent_flow is None:
                client.flush()
            heartbeat.unregister(run.id)
            client.set_flow_run_state(run.id, _fenced(crashed, attempt), force=True)
            run.state = crashed
            crashed.state_details["flow_run_id"] = run.id
            _record_wrapper(wrapper, crashed)
            if flow.on_crashed:
                yield from _hooks(flow, run, crashed, flow.on_crashed)
            raise
        else:
            state = None
        finally:
            if FlowRunContext._var.get() is ctx:
                FlowRunContext._var.reset(token)
        yield (BLOCK, runner.__exit__, (None, None, None))
        if state is None:
            state = return_value_to_state(value)
            if isinstance(value, State):
                # A returned state (a subflow's, say) becomes a new state of this run: its
                # own id is already in the history, and its data (None too) is the result.
                state = state.fresh_copy()
        if state.type is StateType.FAILED:
            logger.error(
                "Encountered exception during execution: %s",
                task_engine._describe(state),
                exc_info=task_engine._exc_info(state),
            )
        if state.type is StateType.COMPLETED and ctx.persist_result:
            caching.persist_flow_result(flow, ctx, state)
        if parent_flow is None:
            yield (BLOCK, client.flush, ())
        result = yield (BLOCK, client.set_flow_run_state, (run.id, _fenced(state, attempt)))
        status = result.status.value
        if status == "ABORT":
            heartbeat.unregister(run.id)
            reason = getattr(result.details, "reason", None) or "the orchestrator aborted it"
            raise exceptions.Abort(f"Flow run {run.name!r} was aborted: {reason}")
        if (
            status == "REJECT"
            and result.state is not None
            and result.state.type is StateType.SCHEDULED
        ):
            retry_state = result.state
            run.state = retry_state
            scheduled = retry_state.state_details.get("scheduled_time")
            delay = 0.0
            if scheduled is not None:
                if isinstance(scheduled, str):
                    scheduled = _dt.datetime.fromisoformat(scheduled)
                delay = max(0.0, (scheduled - _clock.now()).total_seconds())
            logger.info(
                "Received non-final state %r when proposing final state %r and will attempt to "
                "run again...",
                retry_state.name,
                state.name,
            )
            runner = flow.task_runner.duplicate()
            ctx.task_runner = runner
            yield (SLEEP, delay)
            continue
        if status == "ACCEPT":
            final = state
        else:
            final = result.state if result.state is not None else state
        break

    if final.state_details.get("flow_run_id", run.id) != run.id:
        final = final.copy()  # a returned subflow state: keep the child's own copy intact
    final.state_details["flow_run_id"] = run.id
    heartbeat.unregister(run.id)
    run.state = final
    run.end_time = _clock.now()
    _record_wrapper(wrapper, final)
    logger.info("Finished in state %s", task_engine._state_repr(final))
    yield from _run_hooks(flow, run, final)
    return final


def _create(
    client: Any, flow: Any, run: FlowRunRecord, ctx: Any, parameters: dict[str, Any]
) -> Any:
    token = FlowRunContext._var.set(ctx)
    try:
        run.name = _flow_run_name(flow, parameters)
    finally:
        FlowRunContext._var.reset(token)

    run.flow_id = yield (BLOCK, client.ensure_flow, (flow.name,))
    run.state = Pending()
    yield (
        BLOCK,
        client.create_flow_run,
        (
            {
                "id": run.id,
                "name": run.name,
                "flow_id": run.flow_id,
                "parameters": _jsonable_parameters(parameters),
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


def _fenced(state: State, attempt: int | None) -> State:
    """``state`` as proposed by ``attempt`` (see ``rules.FenceStaleAttempts``)."""
    if attempt is not None:
        state.state_details["attempt"] = attempt
    return state


def _resume(client: Any, run: FlowRunRecord, ctx: Any, existing: Any) -> Any:
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
    yield (BLOCK, lambda: client.update_flow_run(run.id, empirical_policy=policy), ())
    if current is not None and current.type in _WAITING_TO_START:
        run.state = current
        return run.run_count
    retry = AwaitingRetry(message="Retried by request: a new attempt of this flow run.")
    result = yield (BLOCK, client.set_flow_run_state, (run.id, _fenced(retry, run.run_count), True))
    if result.status.value == "ABORT":
        reason = getattr(result.details, "reason", None) or "the orchestrator aborted it"
        raise exceptions.Abort(f"Flow run {run.name!r} was aborted: {reason}")
    run.state = result.state or retry
    return run.run_count


def _propose(client: Any, run: FlowRunRecord, state: State) -> Any:
    """Propose ``state``; wait and propose again on WAIT; return the state now current."""
    for _ in range(1000):
        result = yield (BLOCK, client.set_flow_run_state, (run.id, state))
        status = result.status.value
        if status == "WAIT":
            yield (SLEEP, float(getattr(result.details, "delay_seconds", 0) or 0))
            state = state.fresh_copy()
            continue
        if status == "ACCEPT":
            if result.state is not None and "attempt" in result.state.state_details:
                state.state_details["attempt"] = result.state.state_details["attempt"]
            run.state = state
            return state
        if status == "ABORT":
            reason = getattr(result.details, "reason", None) or "the orchestrator aborted it"
            raise exceptions.Abort(f"Flow run {run.name!r} was aborted: {reason}")
        run.state = result.state
        return result.state
    raise exceptions.Abort(f"Flow run {run.name!r} waited too long to enter {state.name}.")


def _propose_final(client: Any, run: FlowRunRecord, state: State) -> Any:
    yield (BLOCK, client.flush, ())
    result = yield (BLOCK, client.set_flow_run_state, (run.id, state))
    final = state if result.status.value == "ACCEPT" else (result.state or state)
    final.state_details["flow_run_id"] = run.id
    run.state = final
    return final


def _run_hooks(flow: Any, run: FlowRunRecord, state: State) -> Any:
    kind = state.type
    if kind is StateType.COMPLETED:
        hooks = flow.on_completion
    elif kind is StateType.FAILED:
        hooks = flow.on_failure
    elif kind is StateType.CRASHED:
        hooks = flow.on_crashed
    elif kind is StateType.CANCELLED:
        hooks = flow.on_cancellation
    else:
        hooks = ()
    if hooks:
        yield from _hooks(flow, run, state, hooks)


def _hooks(flow: Any, run: FlowRunRecord, state: State, hooks: Any) -> Any:
    for hook in hooks:
        try:
            yield (HOOK, hook, (flow, run, state))
        except Exception:
            run.logger().exception(
                "An error was encountered while running hook %r",
                getattr(hook, "__name__", hook),
            )


def _flush_console() -> None:
    from praefect.logging import console

    console.flush()


def run_flow_sync(
    flow: Any,
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
    flow: Any,
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
