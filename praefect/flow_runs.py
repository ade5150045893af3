"""Acting on flow runs from code (Prefect 3's ``prefect.flow_runs``): pausing, suspending and
resuming them, retrying a stored run and waiting for one to finish.

>>> from praefect.flow_runs import retry_flow_run
>>> state = retry_flow_run(flow_run_id)  # doctest: +SKIP

Pausing (see docs/interactive.md): ``pause_flow_run()`` inside a flow moves its run to Paused
and blocks until someone resumes it (``resume_flow_run``, the UI, ``praefect flow-run
resume``); ``wait_for_input=`` a type makes the run wait for a value of that type, returned
by the pause. ``suspend_flow_run()`` ends the process instead: a worker runs the flow again
once it is resumed, and tasks whose results were persisted are not run twice.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from typing import Any

from praefect import exceptions
from praefect.flows import load_flow_from_entrypoint
from praefect.schemas.states import State, StateType

__all__ = [
    "apause_flow_run",
    "aresume_flow_run",
    "asuspend_flow_run",
    "load_flow_from_entrypoint",
    "pause_flow_run",
    "resume_flow_run",
    "retry_flow_run",
    "suspend_flow_run",
    "wait_for_flow_run",
]

_RETRYABLE = (StateType.FAILED, StateType.CRASHED, StateType.CANCELLED)


def retry_flow_run(flow_run_id: uuid.UUID | str, return_state: bool = True) -> Any:
    """Run a Failed, Crashed or Cancelled flow run again, in this process, from its recorded
    entrypoint with its recorded parameters: a new attempt of the same run (same id and
    history). Tasks whose results were persisted and cached are not executed again.

    Returns the run's final state (or its result with ``return_state=False``).
    """
    from praefect.engine import execute

    _, run = execute.read_stored_run(flow_run_id)
    run_id = run["id"]
    state: State | None = run.get("state")
    if state is None or state.type not in _RETRYABLE:
        current = state.name if state is not None else "no state"
        raise ValueError(
            f"Flow run {run['name']!r} ({run_id}) is {current}; only Failed, Crashed or "
            "Cancelled runs can be retried."
        )
    entrypoint = run.get("entrypoint")
    if not entrypoint:
        raise exceptions.MissingFlowError(
            f"Flow run {run['name']!r} ({run_id}) has no recorded entrypoint, so it cannot be "
            "run again."
        )
    flow = load_flow_from_entrypoint(entrypoint)
    return execute.run_stored(flow, run, "state" if return_state else "result")


def wait_for_flow_run(
    flow_run_id: uuid.UUID | str, timeout: float | None = 10800, poll_interval: float = 0.2
) -> Any:
    """Block until the flow run reaches a final state; return the stored run
    (``FlowRunWaitTimeout`` after ``timeout`` seconds)."""
    import praefect

    run_id = uuid.UUID(str(flow_run_id))
    deadline = None if timeout is None else time.monotonic() + timeout
    with praefect.get_client(sync_client=True) as client:
        while True:
            run = client.read_flow_run(run_id)
            if run.state is not None and run.state.is_final():
                return run
            if deadline is not None and time.monotonic() > deadline:
                raise exceptions.FlowRunWaitTimeout(
                    f"Flow run {run_id} did not finish within {timeout} second(s)."
                )
            time.sleep(poll_interval)


# -- pausing ------------------------------------------------------------------------------------
_POLL_FAST = 0.1
"""Seconds between two looks at a paused run's state through a server during its first
``_FAST_FOR`` seconds (a resume by a script or an automation is seen within this), whatever
``poll_interval`` says; a resume from this process wakes the pause at once."""
_FAST_FOR = 60.0
_POLL_SLOW = 1.0
"""... and after them (a person answering later waits a second at most)."""
_POLL_LOCAL = 0.05
"""The same for a run in the embedded store, all along: a look is one indexed read of the
local database (~0.1 ms), so a resume from another process (the UI's server, the CLI) is seen
at once."""

_PARTICIPLE = {"pause": "paused", "suspend": "suspended"}
_wakeups: dict[uuid.UUID, threading.Event] = {}
_wakeups_lock = threading.Lock()


def _wake(flow_run_id: uuid.UUID) -> None:
    with _wakeups_lock:
        event = _wakeups.get(flow_run_id)
    if event is not None:
        event.set()


def _pause_context(verb: str) -> Any:
    from praefect.context import FlowRunContext, TaskRunContext

    if TaskRunContext.get() is not None:
        raise RuntimeError(f"Cannot {verb} task runs: call it in the flow, between tasks.")
    ctx = FlowRunContext.get()
    if ctx is None:
        raise RuntimeError(f"Flow runs can only be {_PARTICIPLE[verb]} from within a flow run.")
    return ctx


def _next_pause_key(ctx: Any) -> str:
    # the n-th pause of an attempt: a run re-run after a suspension reaches the same keys
    counter = ctx.observed_flow_pauses.get("counter", 0) + 1
    ctx.observed_flow_pauses["counter"] = counter
    return str(counter)


def _propose_pause(
    client: Any, flow_run_id: uuid.UUID, state: State, wait_for_input: Any, verb: str
) -> tuple[State, Any, Any]:
    """Save the input's schema (before the pause, so whoever sees the run paused can resume it
    with input at once), propose the pause; the state now current, the input class and keyset."""
    from praefect.input import run_input

    input_cls = keyset = None
    if wait_for_input is not None:
        input_cls = run_input.run_input_subclass_from_type(wait_for_input)
        keyset = run_input.keyset_from_paused_state(state)
        state.state_details["run_input_keyset"] = dict(keyset)
        input_cls.save(keyset, flow_run_id=flow_run_id)
    result = client.set_flow_run_state(flow_run_id, state)
    if result.status.value == "ABORT":
        reason = getattr(result.details, "reason", None) or "the orchestrator refused"
        raise RuntimeError(f"Flow run cannot be {_PARTICIPLE[verb]}: {reason}")
    current = result.state if result.status.value != "ACCEPT" else state
    if current is None:
        raise RuntimeError(
            f"Flow run cannot be {_PARTICIPLE[verb]}: the orchestrator answered no state."
        )
    return current, input_cls, keyset


def pause_flow_run(
    wait_for_input: Any = None,
    timeout: int = 3600,
    poll_interval: int = 10,
    key: str | None = None,
) -> Any:
    """Pause the current flow run until it is resumed, for at most ``timeout`` seconds (then
    ``FlowPauseTimeout``, and the run fails). With ``wait_for_input`` (a ``RunInput`` class, a
    pydantic model or a plain type such as ``int``), the run waits for input of that type and
    the pause returns it (a plain type's value); without, it returns None.

    >>> from praefect import flow
    >>> @flow
    ... def deploy_when_approved() -> str:
    ...     approved = pause_flow_run(wait_for_input=bool, timeout=600)
    ...     return "deployed" if approved else "skipped"
    """
    from praefect.client.embedded import EmbeddedClient
    from praefect.logging.loggers import get_run_logger
    from praefect.states import Paused
    from praefect.utilities import clock

    ctx = _pause_context("pause")
    run = ctx.flow_run
    client = ctx.client
    proposed = Paused(
        timeout_seconds=timeout, reschedule=False, pause_key=key or _next_pause_key(ctx)
    )
    if run.run_count:
        proposed.state_details["attempt"] = run.run_count
    event = threading.Event()
    with _wakeups_lock:
        _wakeups[run.id] = event
    try:
        client.flush()  # the task runs so far are recorded before anyone looks at the pause
        current, input_cls, keyset = _propose_pause(
            client, run.id, proposed, wait_for_input, "pause"
        )
        if current.type is StateType.RUNNING:  # this pause fired before: go on
            return input_cls.load(keyset, flow_run_id=run.id) if input_cls is not None else None
        if current.type is not StateType.PAUSED:
            raise RuntimeError(f"Flow run cannot be paused: it is {current.name}.")
        run.state = current
        logger = get_run_logger()
        logger.info("Pausing flow, execution will continue when this flow run is resumed.")
        expires = current.state_details.get("pause_timeout")
        local = isinstance(client, EmbeddedClient)
        started = time.monotonic()
        while True:
            fast = local or time.monotonic() - started < _FAST_FOR
            cap = _POLL_LOCAL if local else (_POLL_FAST if fast else _POLL_SLOW)
            event.wait(max(0.01, min(float(poll_interval), cap)))
            event.clear()
            stored = client.read_flow_run(run.id)
            state: State | None = stored.get("state") if stored is not None else None
            if state is not None and state.type is StateType.RUNNING:
                run.state = state
                logger.info("Resuming flow run execution!")
                if input_cls is None:
                    return None
                return input_cls.load(keyset, flow_run_id=run.id)
            if state is None or state.type not in (StateType.PAUSED, StateType.CANCELLING):
                break  # failed by the pause expiry, cancelled, ... (a worker stops a Cancelling one)
            if expires is not None and clock.now() >= expires:
                break
        if state is not None and state.type not in (StateType.PAUSED, StateType.CANCELLING):
            raise exceptions.FlowPauseTimeout(
                f"Flow run {run.name!r} was paused and never resumed: it is {state.name} now."
            )
        raise exceptions.FlowPauseTimeout(
            f"Flow run {run.name!r} was paused and never resumed within its timeout of "
            f"{timeout} second(s)."
        )
    finally:
        with _wakeups_lock:
            if _wakeups.get(run.id) is event:
                del _wakeups[run.id]


def suspend_flow_run(
    wait_for_input: Any = None,
    flow_run_id: uuid.UUID | str | None = None,
    timeout: int | None = 3600,
    key: str | None = None,
) -> Any:
    """Suspend a flow run: the current one (its process ends; once resumed, a worker runs the
    flow again from the start, and tasks with persisted results are not run again; this call
    then returns the input), or another run by ``flow_run_id``. Only runs of a deployment can
    be suspended. ``wait_for_input`` as for ``pause_flow_run``.

    >>> from praefect import flow
    >>> @flow(persist_result=True)
    ... def review() -> str:
    ...     draft = write_draft()
    ...     verdict = suspend_flow_run(wait_for_input=str, timeout=86400)
    ...     return publish(draft, verdict)
    """
    from praefect.client import get_orchestration_client
    from praefect.context import FlowRunContext
    from praefect.logging.loggers import get_run_logger
    from praefect.states import Suspended

    ctx = None
    if flow_run_id is None:
        ctx = _pause_context("suspend")
        run_id = ctx.flow_run.id
        pause_key = key or _next_pause_key(ctx)
        client = ctx.client
    else:
        run_id = uuid.UUID(str(flow_run_id))
        pause_key = key or str(uuid.uuid4())
        current_ctx = FlowRunContext.get()
        client = current_ctx.client if current_ctx is not None else get_orchestration_client()
    proposed = Suspended(timeout_seconds=timeout, pause_key=pause_key)
    if ctx is not None:
        if ctx.flow_run.run_count:
            proposed.state_details["attempt"] = ctx.flow_run.run_count
        client.flush()
    current, input_cls, keyset = _propose_pause(client, run_id, proposed, wait_for_input, "suspend")
    if current.type is StateType.RUNNING:  # resumed: this suspension fired before
        return input_cls.load(keyset, flow_run_id=run_id) if input_cls is not None else None
    if current.type is not StateType.PAUSED:
        raise RuntimeError(f"Flow run cannot be suspended: it is {current.name}.")
    if ctx is not None:
        ctx.flow_run.state = current
        get_run_logger().info(
            "Suspending flow run, execution will be rescheduled when this flow run is resumed."
        )
        raise exceptions.Pause("The flow run is suspended until it is resumed.", state=current)
    return None


def resume_flow_run(flow_run_id: uuid.UUID | str, run_input: dict[str, Any] | None = None) -> None:
    """Resume a paused or suspended flow run, with ``run_input`` when it waits for input (a
    plain type's input is ``{"value": ...}``). ``NotPausedError`` naming its state when the run
    is not paused; ``ValueError`` naming the bad field when the input does not fit (the run
    stays paused); ``FlowPauseTimeout`` when its pause timed out (it is Failed now).

    >>> resume_flow_run(run_id, run_input={"value": 41})  # doctest: +SKIP
    """
    from praefect.client import get_orchestration_client

    run_id = uuid.UUID(str(flow_run_id))
    result = get_orchestration_client().resume_flow_run(run_id, run_input)
    status = result.status.value
    if status == "ACCEPT":
        _wake(run_id)
        return
    reason = getattr(result.details, "reason", None) or "the orchestrator refused"
    if result.state is not None and result.state.type is StateType.FAILED:
        raise exceptions.FlowPauseTimeout(f"Flow run {run_id} can no longer be resumed: {reason}")
    raise RuntimeError(f"Cannot resume flow run {run_id}: {reason}")


async def apause_flow_run(
    wait_for_input: Any = None,
    timeout: int = 3600,
    poll_interval: int = 10,
    key: str | None = None,
) -> Any:
    """``pause_flow_run`` for async flows: the wait does not block the event loop."""
    import contextvars

    context = contextvars.copy_context()
    return await asyncio.to_thread(
        context.run, pause_flow_run, wait_for_input, timeout, poll_interval, key
    )


async def asuspend_flow_run(
    wait_for_input: Any = None,
    flow_run_id: uuid.UUID | str | None = None,
    timeout: int | None = 3600,
    key: str | None = None,
) -> Any:
    """``suspend_flow_run`` for async flows."""
    import contextvars

    context = contextvars.copy_context()
    return await asyncio.to_thread(
        context.run, suspend_flow_run, wait_for_input, flow_run_id, timeout, key
    )


async def aresume_flow_run(
    flow_run_id: uuid.UUID | str, run_input: dict[str, Any] | None = None
) -> None:
    """``resume_flow_run`` for async code."""
    await asyncio.to_thread(resume_flow_run, flow_run_id, run_input)
