"""``run_deployment``: create a run of a deployment and (unless ``timeout=0``) wait for it.

>>> run = run_deployment("etl/nightly", parameters={"n": 2}, timeout=0)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import time
import uuid
from collections.abc import Iterable
from typing import Any

from praefect.schemas.states import State, StateType

__all__ = ["arun_deployment", "run_deployment"]


def _deployment_id(client: Any, name_or_id: str | uuid.UUID) -> uuid.UUID:
    if isinstance(name_or_id, uuid.UUID):
        return name_or_id
    try:
        return uuid.UUID(str(name_or_id))
    except ValueError:
        return client.read_deployment_by_name(str(name_or_id)).id


def run_deployment(
    name: str | uuid.UUID,
    client: Any = None,
    parameters: dict[str, Any] | None = None,
    scheduled_time: _dt.datetime | None = None,
    flow_run_name: str | None = None,
    timeout: float | None = None,
    poll_interval: float = 5,
    tags: Iterable[str] | None = None,
    idempotency_key: str | None = None,
    work_queue_name: str | None = None,
    as_subflow: bool = True,
    job_variables: dict[str, Any] | None = None,
) -> Any:
    """Create a run of the deployment ``name`` (``"flow-name/deployment-name"`` or its id)
    and return it as a ``FlowRun``: at once with ``timeout=0``, else once it is final or
    ``timeout`` seconds have passed (None: no limit), checking every ``poll_interval`` seconds.

    The run is Scheduled for ``scheduled_time`` (default now) and a worker (or a serving
    process) of the deployment runs it. Its parameters are the deployment's with
    ``parameters`` over them; ``tags`` are added to the deployment's. Called inside a flow
    (and ``as_subflow``), the run is that flow's subflow: a task run of the parent stands for
    it, and a retry of the parent gets the same run back instead of a new one.

    >>> run = run_deployment("etl/nightly", timeout=0)  # doctest: +SKIP
    >>> run.state.is_scheduled()  # doctest: +SKIP
    True
    """
    from praefect.client.orchestration import get_client

    if timeout is not None and timeout < 0:
        raise ValueError(f"timeout must be 0 or more seconds, got {timeout}.")
    client = client or get_client(sync_client=True)
    if hasattr(client, "_sync"):  # an async PrefectClient: use its sync twin in this thread
        client = client._sync
    deployment_id = _deployment_id(client, name)
    wrapper = _subflow_wrapper(str(name), parameters or {}) if as_subflow else None
    if wrapper is not None and idempotency_key is None:
        # the same call again in a retry of the parent run finds the run it made the first time
        idempotency_key = f"{wrapper.flow_run_id}-{wrapper.task_key}-{wrapper.dynamic_key}"
    state = State(StateType.SCHEDULED, state_details={"scheduled_time": scheduled_time})
    run = client.create_flow_run_from_deployment(
        deployment_id,
        parameters=parameters,
        state=state if scheduled_time is not None else None,
        name=flow_run_name,
        tags=tags,
        idempotency_key=idempotency_key,
        parent_task_run_id=wrapper.id if wrapper is not None else None,
        work_queue_name=work_queue_name,
        job_variables=job_variables,
    )
    if timeout == 0:
        return run
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if run.state is not None and run.state.is_final():
            if wrapper is not None:
                from praefect.engine import shared

                shared.record_wrapper(wrapper, run.state)
            return run
        if deadline is not None and time.monotonic() >= deadline:
            return run
        pause = (
            poll_interval if deadline is None else min(poll_interval, deadline - time.monotonic())
        )
        time.sleep(max(pause, 0.0))
        run = client.read_flow_run(run.id)


def _subflow_wrapper(name: str, parameters: dict[str, Any]) -> Any:
    """The wrapper task run in the enclosing flow run (stored Pending), or None outside one."""
    from praefect.context import FlowRunContext

    parent = FlowRunContext.enclosing()
    if parent is None:
        return None
    from praefect.engine import shared, task_engine

    name = name.replace("/", "-")
    task = shared.WrapperTask(name, f"run_deployment-{name}")
    wrapper, _, _ = task_engine.create_task_run(task, parameters, None, parent)
    return wrapper


async def arun_deployment(name: str | uuid.UUID, **options: Any) -> Any:
    """``run_deployment``, awaited (it waits in a worker thread, not on the event loop)."""
    return await asyncio.to_thread(run_deployment, name, **options)
