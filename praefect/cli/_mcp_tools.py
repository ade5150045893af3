"""The tools of ``praefect mcp``: what an AI assistant may ask of praefect, as plain functions of
the public client (embedded store or a server, as every CLI command).

Each returns JSON data. Reading is always allowed; running a deployment and cancelling a run
are registered only with ``--allow-actions``.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Any

from praefect.cli import _common

_FINAL = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})


def _client() -> Any:
    import praefect

    return praefect.get_client(sync_client=True)


def _run_summary(run: Any, flow_names: dict[str, str]) -> dict[str, Any]:
    state_type, state_name = _common.state_of(run)
    return {
        "id": str(run.id),
        "name": run.name,
        "flow": flow_names.get(str(run.flow_id), str(run.flow_id)),
        "state": state_name,
        "state_type": state_type,
        "start_time": _common.to_jsonable(run.start_time),
        "expected_start_time": _common.to_jsonable(run.expected_start_time),
        "duration_seconds": _common.run_duration(run),
        "deployment_id": str(run.deployment_id) if run.deployment_id else None,
    }


def _flow_names(client: Any, runs: list[Any]) -> dict[str, str]:
    names = {}
    for flow_id in {str(run.flow_id) for run in runs}:
        try:
            names[flow_id] = client.read_flow(uuid.UUID(flow_id)).name
        except Exception:  # a deleted flow: keep its id
            continue
    return names


def list_flow_runs(state: str | None = None, flow_name: str | None = None, limit: int = 20) -> Any:
    """The newest flow runs (what ran, not upcoming ones unless state is Scheduled), optionally
    of one state (a type such as FAILED or a name such as Late) and one flow."""
    from praefect.client.schemas import filters, sorting

    run_filter = filters.FlowRunFilter(
        state=filters.FlowRunFilterState(
            name=filters.FlowRunFilterStateName(not_any_=["Scheduled"])
        )
    )
    if state:
        upper = state.strip().upper()
        if upper in _common.state_types():
            kind = filters.FlowRunFilterStateType(any_=[upper])
            run_filter = filters.FlowRunFilter(state=filters.FlowRunFilterState(type=kind))
        else:
            names = {n.lower(): n for n in _common.STATE_NAMES}
            if state.strip().lower() not in names:
                raise ValueError(
                    f"Unknown state {state!r}; expected a state type "
                    f"({', '.join(_common.state_types())}) or name ({', '.join(_common.STATE_NAMES)})."
                )
            named = filters.FlowRunFilterStateName(any_=[names[state.strip().lower()]])
            run_filter = filters.FlowRunFilter(state=filters.FlowRunFilterState(name=named))
    flow_filter = (
        filters.FlowFilter(name=filters.FlowFilterName(any_=[flow_name])) if flow_name else None
    )
    with _client() as client:
        runs = client.read_flow_runs(
            flow_filter=flow_filter,
            flow_run_filter=run_filter,
            sort=sorting.FlowRunSort.EXPECTED_START_TIME_DESC,
            limit=max(1, min(limit, 200)),
        )
        names = _flow_names(client, runs)
    return [_run_summary(run, names) for run in runs]


def inspect_flow_run(flow_run_id: str) -> Any:
    """A flow run: its state and message, parameters, state history and its task runs."""
    run_id = uuid.UUID(flow_run_id)
    from praefect.client.schemas import filters

    with _client() as client:
        run = client.read_flow_run(run_id)
        names = _flow_names(client, [run])
        states = client.read_flow_run_states(run_id)
        of_run = filters.FlowRunFilter(id=filters.FlowRunFilterId(any_=[run_id]))
        tasks = client.read_task_runs(flow_run_filter=of_run, limit=200)
    summary = _run_summary(run, names)
    summary["message"] = run.state.message if run.state else None
    summary["parameters"] = _common.to_jsonable(run.parameters)
    summary["states"] = [
        {"name": s.name, "type": s.type.value, "timestamp": _common.to_jsonable(s.timestamp),
         "message": s.message}
        for s in sorted(states, key=_common.timestamp)
    ]  # fmt: skip
    summary["task_runs"] = [
        {"name": t.name, "state": _common.state_of(t)[1],
         "message": t.state.message if t.state else None}
        for t in tasks
    ]  # fmt: skip
    return summary


def read_logs(flow_run_id: str, limit: int = 200) -> Any:
    """The flow run's log lines, oldest first (its task runs' lines included)."""
    from praefect.client.schemas import filters

    run_id = uuid.UUID(flow_run_id)
    with _client() as client:
        logs = client.read_logs(
            log_filter=filters.LogFilter(flow_run_id=filters.LogFilterFlowRunId(any_=[run_id])),
            limit=max(1, min(limit, 1000)),
        )
    return [
        f"{_common.format_log_time(log.timestamp)} {log.level_name if hasattr(log, 'level_name') else log.level} {log.message}"
        for log in logs
    ]


def explain_flow_run(flow_run_id: str) -> Any:
    """Why a flow run failed, crashed or is late, in a few sentences, with the evidence: the
    final state's message, the task runs that failed and the last error lines of its logs."""
    details = inspect_flow_run(flow_run_id)
    state_type = details["state_type"]
    reasons: list[str] = []
    if state_type in ("FAILED", "CRASHED"):
        kind = "infrastructure (Crashed)" if state_type == "CRASHED" else "user code (Failed)"
        reasons.append(f"The run ended {details['state']}: {kind}. {details['message'] or ''}")
        failed = [t for t in details["task_runs"] if t["state"] in ("Failed", "Crashed")]
        for task in failed[:5]:
            reasons.append(f"Task run {task['name']} is {task['state']}: {task['message']}")
        not_ready = [t for t in details["task_runs"] if t["state"] == "NotReady"]
        if not_ready:
            reasons.append(f"{len(not_ready)} task run(s) did not run: an upstream failed.")
    elif details["state"] == "Late" or (
        state_type == "SCHEDULED" and details["expected_start_time"] is not None
    ):
        due = _common.as_datetime(details["expected_start_time"])
        late_by = (_dt.datetime.now(_dt.UTC) - due).total_seconds() if due else None
        reasons.append(
            f"The run is {details['state']}, due at {details['expected_start_time']}"
            + (f" ({late_by:.0f} s ago)" if late_by and late_by > 0 else "")
            + ": no worker has picked it up. Check that a worker polls its work pool "
            "(`praefect worker start --pool NAME`) and that the pool and deployment are not paused."
        )
    elif state_type in _FINAL:
        reasons.append(f"The run ended {details['state']}; nothing went wrong.")
    else:
        reasons.append(f"The run is {details['state']} (not finished yet).")
    errors = [line for line in read_logs(flow_run_id, limit=1000) if " ERROR " in line]
    return {"flow_run": details["name"], "state": details["state"], "explanation": reasons,
            "error_logs": errors[-10:]}  # fmt: skip


def list_deployments() -> Any:
    """The deployments: name (flow/deployment), id, work pool, paused, schedules."""
    with _client() as client:
        deployments = client.read_deployments()
        flows = {str(d.flow_id): client.read_flow(d.flow_id).name for d in deployments}
    return [
        {"name": f"{flows.get(str(d.flow_id), '?')}/{d.name}", "id": str(d.id),
         "work_pool": d.work_pool_name, "paused": d.paused,
         "schedules": len(d.schedules or [])}
        for d in deployments
    ]  # fmt: skip


def list_work_pools() -> Any:
    """The work pools: name, type, status, paused, concurrency limit, workers online."""
    with _client() as client:
        pools = client.read_work_pools()
        out = []
        for pool in pools:
            workers = client.read_workers_for_work_pool(pool.name)
            online = [w for w in workers if str(getattr(w, "status", "")).endswith("ONLINE")]
            out.append(
                {"name": pool.name, "type": pool.type, "status": _common.to_jsonable(pool.status),
                 "paused": pool.is_paused, "concurrency_limit": pool.concurrency_limit,
                 "workers_online": len(online), "workers": len(workers)}
            )  # fmt: skip
    return out


def run_deployment(name: str, parameters: dict[str, Any] | None = None) -> Any:
    """Create a run of the deployment 'flow-name/deployment-name' with these parameters."""
    with _client() as client:
        deployment = client.read_deployment_by_name(name)
        run = client.create_flow_run_from_deployment(deployment.id, parameters=parameters or {})
    return {"id": str(run.id), "name": run.name, "state": _common.state_of(run)[1]}


def cancel_flow_run(flow_run_id: str) -> Any:
    """Cancel a flow run (Cancelling; its worker stops it)."""
    from praefect import states

    run_id = uuid.UUID(flow_run_id)
    with _client() as client:
        result = client.set_flow_run_state(
            run_id, states.Cancelling(message="Cancelled by an assistant through `praefect mcp`.")
        )
        run = client.read_flow_run(run_id)
    status = getattr(result.status, "value", result.status)
    return {"status": status, "state": _common.state_of(run)[1]}


READ_TOOLS = (
    list_flow_runs,
    inspect_flow_run,
    read_logs,
    explain_flow_run,
    list_deployments,
    list_work_pools,
)
ACTION_TOOLS = (run_deployment, cancel_flow_run)
