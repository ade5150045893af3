"""Acting on flow runs from code (Prefect 3's ``prefect.flow_runs``): retrying a stored run and
waiting for one to finish.

>>> from praefect.flow_runs import retry_flow_run
>>> state = retry_flow_run(flow_run_id)  # doctest: +SKIP
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from praefect import exceptions
from praefect.flows import load_flow_from_entrypoint
from praefect.schemas.states import State, StateType

__all__ = ["load_flow_from_entrypoint", "retry_flow_run", "wait_for_flow_run"]

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
