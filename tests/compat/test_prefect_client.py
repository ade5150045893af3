"""Prefect's own client, CLI and worker (the ``prefect`` package from PyPI, in its own venv)
against a praefect server, as a Prefect user who only set ``PREFECT_API_URL`` would use them.

The steps run once per session in one Prefect process (``prefect_scenario.py``); each test
checks one of them.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.timeout(300)


def _ok(scenario: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    result = scenario[name]
    assert result["ok"], f"step {name} failed:\n{result['error']}\n{result['output']}"
    return result


def test_a_script_flow_with_tasks_runs_and_its_flow_run_is_recorded(scenario, compat_server):
    ran = _ok(scenario, "script_flow")["value"]
    assert ran["type"] == "COMPLETED" and ran["result"] == 3
    run = httpx.get(f"{compat_server}/flow_runs/{ran['flow_run_id']}").json()
    assert run["state_type"] == "COMPLETED"
    logs = httpx.post(
        f"{compat_server}/logs/filter",
        json={"logs": {"flow_run_id": {"any_": [ran["flow_run_id"]]}}},
    ).json()
    assert "total is 3" in [log["message"] for log in logs]


def test_the_script_flows_task_runs_are_recorded(scenario, compat_server):
    ran = _ok(scenario, "script_flow")["value"]
    body = {"flow_runs": {"id": {"any_": [ran["flow_run_id"]]}}}
    task_runs = httpx.post(f"{compat_server}/task_runs/filter", json=body).json()
    assert sorted(t["state_type"] for t in task_runs) == ["COMPLETED"] * 3


def test_get_client_reads_runs_flows_logs_pools_and_deployments(scenario):
    reads = _ok(scenario, "client_reads")["value"]
    assert reads["flow_run"] == {"name": reads["flow_run"]["name"], "state": "COMPLETED"}
    assert len(reads["flow_runs"]) == 1
    assert reads["flow"] == "hello" and "hello" in reads["flows"]
    assert "compat flow done" in reads["logs"]
    assert reads["hello"] == "👋"


def test_flow_run_ls_inspect_and_logs(scenario):
    flow_run_id = scenario["script_flow"]["value"]["flow_run_id"]
    assert flow_run_id in _ok(scenario, "flow_run_ls")["output"]
    inspected = _ok(scenario, "flow_run_inspect")["output"]
    assert flow_run_id in inspected and "COMPLETED" in inspected
    assert "compat flow done" in _ok(scenario, "flow_run_logs")["output"]


def test_task_run_ls(scenario):
    _ok(scenario, "task_run_ls")


def test_work_pool_create_ls_and_inspect(scenario):
    _ok(scenario, "work_pool_create")
    assert "compat-pool" in _ok(scenario, "work_pool_ls")["output"]
    inspected = _ok(scenario, "work_pool_inspect")["output"]
    assert "compat-pool" in inspected and "process" in inspected


def test_prefect_deploy_then_deployment_ls_and_run(scenario):
    assert "hello/compat" in _ok(scenario, "deploy")["output"]
    assert "hello/compat" in _ok(scenario, "deployment_ls")["output"]
    _ok(scenario, "deployment_run")


def test_a_worker_runs_the_deployments_flow_run_to_completed(scenario):
    _ok(scenario, "worker_run_once")
    runs = _ok(scenario, "deployment_run_state")["value"]["runs"]
    assert [run["state"] for run in runs] == ["COMPLETED"]
    # the worker labelled the run it submitted (PATCH /flow_runs/{id}/labels)
    assert runs[0]["labels"].get("prefect.worker.type") == "process"


def test_global_concurrency_limit_create_and_ls(scenario):
    _ok(scenario, "gcl_create")
    assert "compat-limit" in _ok(scenario, "gcl_ls")["output"]


def test_variable_set_and_get(scenario):
    _ok(scenario, "variable_set")
    assert "42" in _ok(scenario, "variable_get")["output"]


def test_an_event_emitted_with_emit_event_is_stored(scenario, compat_server):
    event_id = _ok(scenario, "emit_event")["value"]
    body = {"filter": {"event": {"name": ["compat.hello"]}}}
    stored = httpx.post(f"{compat_server}/events/filter", json=body).json()["events"]
    assert [event["id"] for event in stored] == [event_id]
