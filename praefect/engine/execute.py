"""Running a flow run that already exists, by its id, in this process: what a worker's or a
runner's subprocess does (``python -m praefect.engine`` with ``PRAEFECT__FLOW_RUN_ID`` set, or
``praefect flow-run execute ID``).

The flow comes from the run's deployment: its pull steps run first (clone a repository, change
directory), then its ``entrypoint`` (``path/to/file.py:function``, relative to the deployment's
``path``) is loaded; a run without a deployment uses its own recorded entrypoint. The run then
goes on IN PLACE of the stored one (same id and history): a Scheduled or Pending run starts, a
Failed or Crashed one gets a new attempt.

>>> from praefect.engine.execute import execute_flow_run
>>> state = execute_flow_run("0b7c1a2e-...")  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from praefect import exceptions
from praefect.schemas.states import State
from praefect.utilities.fields import field as _field

if TYPE_CHECKING:
    from praefect.flows import Flow

__all__ = [
    "FLOW_RUN_ID_VARIABLES",
    "execute_flow_run",
    "flow_run_id_from_environment",
    "load_flow",
    "main",
    "wait_for_flow_run_id",
]

FLOW_RUN_ID_VARIABLES = ("PRAEFECT__FLOW_RUN_ID", "PREFECT__FLOW_RUN_ID")
"""Environment variables a worker passes the flow run's id in (Prefect's spelling second)."""


def flow_run_id_from_environment() -> uuid.UUID | None:
    """The flow run id in ``PRAEFECT__FLOW_RUN_ID`` (or ``PREFECT__FLOW_RUN_ID``), if set."""
    for name in FLOW_RUN_ID_VARIABLES:
        value = os.environ.get(name)
        if value:
            try:
                return uuid.UUID(value)
            except ValueError:
                raise ValueError(f"{name}={value!r} is not a flow run id (a UUID).") from None
    return None


def _read_deployment(client: Any, deployment_id: Any) -> Any:
    read = getattr(client, "read_deployment", None)
    if read is None:
        return None
    try:
        return read(deployment_id)
    except exceptions.ObjectNotFound:
        return None


def _run_pull_steps(steps: list[Any]) -> None:
    from praefect.deployments import steps as steps_module

    outputs = steps_module.run_steps(steps)
    # a git_clone (or set_working_directory) step ends where the entrypoint is relative to
    if outputs.get("directory"):
        os.chdir(outputs["directory"])


def load_flow(run: dict[str, Any], client: Any) -> Any:
    """The flow object a stored run runs: from its deployment (pull steps, path, entrypoint),
    else from the run's own entrypoint; ``MissingFlowError`` naming the run when neither
    says where its code is."""
    from praefect.flows import load_flow_from_entrypoint

    deployment = None
    if run.get("deployment_id") is not None:
        deployment = _read_deployment(client, run["deployment_id"])
    entrypoint = _field(deployment, "entrypoint") or run.get("entrypoint")
    if deployment is not None:
        path = _field(deployment, "path")
        if path and Path(path).is_dir():
            os.chdir(path)
        pull_steps = _field(deployment, "pull_steps")
        if pull_steps:
            _run_pull_steps(list(pull_steps))
    if not entrypoint:
        raise exceptions.MissingFlowError(
            f"Flow run {run['name']!r} ({run['id']}) has no entrypoint: neither it nor its "
            "deployment records where the flow's code is."
        )
    return load_flow_from_entrypoint(entrypoint)


def read_stored_run(flow_run_id: uuid.UUID | str) -> tuple[Any, dict[str, Any]]:
    """The orchestration client and the stored run ``flow_run_id`` (``FlowRunNotFound``)."""
    from praefect import client as client_module

    run_id = uuid.UUID(str(flow_run_id))
    client = client_module.get_orchestration_client()
    run = client.read_flow_run(run_id)
    if run is None:
        raise exceptions.FlowRunNotFound(f"Flow run {run_id} not found.", flow_run_id=run_id)
    return client, run


def run_stored(flow: Flow[Any, Any], run: dict[str, Any], return_type: str = "state") -> Any:
    """Run ``flow`` as a new attempt of the stored ``run``, here, with its parameters."""
    from praefect.engine import flow_engine

    parameters = dict(run.get("parameters") or {})
    if flow.is_async:
        return asyncio.run(
            flow_engine.run_flow_async(flow, parameters, None, return_type, existing=run)
        )
    return flow_engine.run_flow_sync(flow, parameters, None, return_type, existing=run)


def execute_flow_run(flow_run_id: uuid.UUID | str) -> State:
    """Run the stored flow run ``flow_run_id`` here, in place; return its final state.

    A run already in a final state is refused with ``ValueError`` naming its state.
    """
    client, run = read_stored_run(flow_run_id)
    state: State | None = run.get("state")
    if state is not None and state.is_final():
        raise ValueError(
            f"Flow run {run['name']!r} ({run['id']}) is already {state.name}; only a run that "
            "has not finished can be executed."
        )
    final: State = run_stored(load_flow(run, client), run)
    return final


def main(flow_run_id: str | None = None) -> int:
    """Execute the flow run (``flow_run_id`` or from the environment); the exit code is 0 when
    it completed, 1 otherwise."""
    import logging
    import sys

    run_id = flow_run_id or flow_run_id_from_environment()
    if run_id is None:
        print("No flow run to execute: pass its id or set PRAEFECT__FLOW_RUN_ID.", file=sys.stderr)
        return 2
    try:
        state = execute_flow_run(run_id)
    except exceptions.Abort as exc:
        logging.getLogger("praefect.engine").info("Flow run %s was aborted: %s", run_id, exc)
        return 0
    except exceptions.Pause:
        logging.getLogger("praefect.engine").info(
            "Flow run %s is suspended; it runs again when it is resumed.", run_id
        )
        return 0
    except (exceptions.ObjectNotFound, exceptions.MissingFlowError, exceptions.ScriptError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        from praefect import client as client_module

        client_module.drop_orchestration_clients(dispose_engines=False)
    return 0 if state.is_completed() else 1


def wait_for_flow_run_id(stream: Any = None) -> str | None:
    """Be a warm spare process: import what executing a run needs, then block until one JSON
    line arrives on ``stream`` (default stdin): ``{"flow_run_id", "env", "cwd"}``. Apply its
    environment (None unsets a variable) and working directory, re-read the settings, and
    return the run's id (None when the stream closed first: the spare is not needed)."""
    import importlib
    import json
    import sys

    from praefect.settings import get_current_settings

    warm = [
        "praefect.client",
        "praefect.client.orchestration",
        "praefect.engine.flow_engine",
        "praefect.engine.task_engine",
        "praefect.flows",
        "praefect.flow_runs",
        "praefect.tasks",
        "praefect.states",
        "praefect.task_runners",
        "praefect.logging.handlers",
        "praefect.schemas.objects",
    ]
    if get_current_settings().api_url:
        warm.append("praefect.client.http")
    for module in warm:
        importlib.import_module(module)
    line = (stream or sys.stdin).readline()
    if not line.strip():
        return None
    message = json.loads(line)
    for key, value in (message.get("env") or {}).items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = str(value)
    if message.get("cwd"):
        os.chdir(message["cwd"])
    from praefect import settings

    settings.reload_settings()
    return str(message["flow_run_id"])
