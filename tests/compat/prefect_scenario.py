"""A new user's session with Prefect's own ``prefect`` package against a praefect server,
run inside the Prefect venv (``prefect_venv.py``) with ``PREFECT_API_URL`` set and the
working directory holding ``prefect_flows.py``.

    python prefect_scenario.py RESULTS.json

One process runs every step, so Prefect is imported once: a script flow with tasks, reads
through ``get_client()``, then CLI commands as ``prefect ...`` runs them (Prefect's CLI app,
called in-process), among them ``prefect deploy`` and ``prefect worker start --run-once``,
which runs a deployment's flow run in a subprocess of its own. Each step's outcome is written
to RESULTS.json as ``{step: {"ok", "output", "error", ...}}``; the tests in
``test_prefect_client.py`` read it. A step that fails does not stop the others.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

results: dict[str, dict[str, Any]] = {}


def step(name: str, fn: Callable[[], Any]) -> Any:
    out = io.StringIO()
    record: dict[str, Any] = {"ok": False, "output": "", "error": None, "value": None}
    results[name] = record
    try:
        with contextlib.redirect_stdout(out):
            value = fn()
        record["ok"] = True
        record["value"] = value
        return value
    except BaseException as exc:  # SystemExit of the CLI included
        record["error"] = "".join(traceback.format_exception(exc))[-3000:]
        return None
    finally:
        record["output"] = out.getvalue()[-6000:]


def cli(*argv: str) -> int:
    """``prefect *argv`` in this process; raises when it exits with another code than 0."""
    from prefect.cli import app

    sys.argv = ["prefect", *argv]
    try:
        app()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise RuntimeError(f"prefect {' '.join(argv)} exited with {exc.code}") from exc
    return 0


def script_flow() -> dict[str, Any]:
    from prefect_flows import hello

    state = hello(return_state=True)
    return {
        "flow_run_id": str(state.state_details.flow_run_id),
        "type": state.type.value,
        "result": state.result(),
    }


def client_reads(flow_run_id: str) -> dict[str, Any]:
    from prefect import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        LogFilter,
        LogFilterFlowRunId,
    )

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run_id)
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id]))
        )
        # Prefect sends log lines from a background worker, in batches
        deadline = time.monotonic() + 15
        while True:
            of_run = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id]))
            logs = client.read_logs(log_filter=of_run)
            done = any(log.message == "compat flow done" for log in logs)
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        return {
            "flow_run": {"name": run.name, "state": run.state_type.value},
            "flow_runs": [str(r.id) for r in runs],
            "flow": client.read_flow(run.flow_id).name,
            "flows": sorted(f.name for f in client.read_flows()),
            "task_runs": len(client.read_task_runs()),
            "logs": [log.message for log in logs],
            "work_pools": [p.name for p in client.read_work_pools()],
            "deployments": [d.name for d in client.read_deployments()],
            "hello": client.hello().json(),
        }


def deployment_run_state(name: str) -> dict[str, Any]:
    from prefect import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(name)
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))
        )
        return {
            "deployment_id": str(deployment.id),
            "runs": [
                {"id": str(r.id), "state": r.state_type.value, "labels": dict(r.labels)}
                for r in runs
            ],
        }


def emit() -> str:
    from prefect.events import emit_event

    event = emit_event(event="compat.hello", resource={"prefect.resource.id": "compat.thing"})
    assert event is not None
    return str(event.id)


def main() -> None:
    target = sys.argv[1]
    ran = step("script_flow", script_flow) or {}
    flow_run_id = ran.get("flow_run_id", "00000000-0000-0000-0000-000000000000")
    step("client_reads", lambda: client_reads(flow_run_id))
    step("flow_run_ls", lambda: cli("flow-run", "ls"))
    step("flow_run_inspect", lambda: cli("flow-run", "inspect", flow_run_id))
    step("flow_run_logs", lambda: cli("flow-run", "logs", flow_run_id))
    step("task_run_ls", lambda: cli("task-run", "ls"))
    step("work_pool_create", lambda: cli("work-pool", "create", "compat-pool", "--type", "process"))
    step("work_pool_ls", lambda: cli("work-pool", "ls"))
    step("work_pool_inspect", lambda: cli("work-pool", "inspect", "compat-pool"))
    step(
        "deploy",
        lambda: cli(
            "--no-prompt", "deploy", "prefect_flows.py:hello", "-n", "compat", "-p", "compat-pool"
        ),
    )
    step("deployment_ls", lambda: cli("deployment", "ls"))
    step("deployment_run", lambda: cli("deployment", "run", "hello/compat"))
    step("worker_run_once", lambda: cli("worker", "start", "--pool", "compat-pool", "--run-once"))
    step("deployment_run_state", lambda: deployment_run_state("hello/compat"))
    step(
        "gcl_create",
        lambda: cli("global-concurrency-limit", "create", "compat-limit", "--limit", "2"),
    )
    step("gcl_ls", lambda: cli("global-concurrency-limit", "ls"))
    step("variable_set", lambda: cli("variable", "set", "compat-var", "42"))
    step("variable_get", lambda: cli("variable", "get", "compat-var"))
    step("emit_event", emit)
    with open(target, "w") as sink:
        json.dump(results, sink, default=str)


if __name__ == "__main__":
    main()
