"""Every read answer of a praefect server validates against Prefect 3.9.1's own client schemas
(``prefect.client.schemas``, in the Prefect venv): what Prefect's client, CLI and workers
``model_validate`` when they read it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def api(compat_server: str) -> Any:
    with httpx.Client(base_url=compat_server, timeout=30) as client:
        yield client


def _json(response: httpx.Response) -> Any:
    assert response.status_code < 300, f"{response.request.url}: {response.text}"
    return response.json() if response.content else None


@pytest.fixture(scope="module")
def made(api: httpx.Client) -> dict[str, Any]:
    """One of each record, with states, logs and links between them."""
    now = dt.datetime.now(dt.UTC)
    flow = _json(api.post("/flows/", json={"name": f"schemas-{uuid.uuid4().hex[:6]}"}))
    run = _json(
        api.post(
            "/flow_runs/",
            json={
                "flow_id": flow["id"],
                "parameters": {"n": 1},
                "tags": ["t"],
                "labels": {"team": "data"},
                "empirical_policy": {"retries": 2, "retry_delay": 5},
                "state": {
                    "type": "SCHEDULED",
                    "state_details": {"scheduled_time": now.isoformat()},
                },
            },
        )
    )
    for kind in ("PENDING", "RUNNING"):
        _json(api.post(f"/flow_runs/{run['id']}/set_state", json={"state": {"type": kind}}))
    task_run = _json(
        api.post(
            "/task_runs/",
            json={
                "flow_run_id": run["id"],
                "name": "add-1",
                "task_key": "add",
                "dynamic_key": "1",
                "empirical_policy": {"retries": 1, "retry_delay": [1, 2]},
                "state": {"type": "RUNNING"},
            },
        )
    )
    _json(
        api.post(
            "/logs/",
            json=[
                {
                    "name": "prefect.flow_runs",
                    "level": 20,
                    "message": "hello",
                    "timestamp": now.isoformat(),
                    "flow_run_id": run["id"],
                    "task_run_id": task_run["id"],
                }
            ],
        )
    )
    pool_name = f"schemas-pool-{uuid.uuid4().hex[:6]}"
    pool = _json(api.post("/work_pools/", json={"name": pool_name, "type": "process"}))
    _json(api.post(f"/work_pools/{pool_name}/workers/heartbeat", json={"name": "w1"}))
    deployment = _json(
        api.post(
            "/deployments/",
            json={
                "name": "nightly",
                "flow_id": flow["id"],
                "work_pool_name": pool_name,
                "entrypoint": "flows.py:main",
                "schedules": [{"schedule": {"interval": 3600}, "active": True}],
            },
        )
    )
    scheduled = _json(api.post(f"/deployments/{deployment['id']}/create_flow_run", json={}))
    block_type = _json(
        api.post("/block_types/", json={"name": "Schemas Demo", "slug": "schemas-demo"})
    )
    block = _json(
        api.post(
            "/block_documents/",
            json={"name": "one", "data": {"x": 1}, "block_type_id": block_type["id"]},
        )
    )
    return {
        "flow": flow,
        "run": run,
        "task_run": task_run,
        "pool": pool,
        "pool_name": pool_name,
        "deployment": deployment,
        "scheduled": scheduled,
        "block_type": block_type,
        "block": block,
    }


# (what, method, path, body, Prefect model, a list of them); paths name the records of `made`
READS = [
    ("flow", "GET", "/flows/{flow[id]}", None, "objects.Flow", False),
    ("flows", "POST", "/flows/filter", {}, "objects.Flow", True),
    ("flow run", "GET", "/flow_runs/{run[id]}", None, "objects.FlowRun", False),
    ("flow runs", "POST", "/flow_runs/filter", {"limit": None}, "objects.FlowRun", True),
    ("deployment run", "GET", "/flow_runs/{scheduled[id]}", None, "objects.FlowRun", False),
    ("states", "GET", "/flow_run_states/?flow_run_id={run[id]}", None, "objects.State", True),
    ("task run", "GET", "/task_runs/{task_run[id]}", None, "objects.TaskRun", False),
    ("task runs", "POST", "/task_runs/filter", {"sort": None}, "objects.TaskRun", True),
    (
        "task run states",
        "GET",
        "/task_run_states/?task_run_id={task_run[id]}",
        None,
        "objects.State",
        True,
    ),
    ("logs", "POST", "/logs/filter", {"offset": None}, "objects.Log", True),
    ("work pool", "GET", "/work_pools/{pool_name}", None, "objects.WorkPool", False),
    ("work pools", "POST", "/work_pools/filter", {}, "objects.WorkPool", True),
    ("queues", "POST", "/work_pools/{pool_name}/queues/filter", {}, "objects.WorkQueue", True),
    ("queue", "GET", "/work_pools/{pool_name}/queues/default", None, "objects.WorkQueue", False),
    ("all queues", "POST", "/work_queues/filter", {}, "objects.WorkQueue", True),
    ("workers", "POST", "/work_pools/{pool_name}/workers/filter", {}, "objects.Worker", True),
    (
        "scheduled for workers",
        "POST",
        "/work_pools/{pool_name}/get_scheduled_flow_runs",
        {},
        "responses.WorkerFlowRunResponse",
        True,
    ),
    (
        "deployment",
        "GET",
        "/deployments/{deployment[id]}",
        None,
        "responses.DeploymentResponse",
        False,
    ),
    ("deployments", "POST", "/deployments/filter", {}, "responses.DeploymentResponse", True),
    (
        "work queue check",
        "GET",
        "/deployments/{deployment[id]}/work_queue_check",
        None,
        "objects.WorkQueue",
        True,
    ),
    (
        "deployment schedules",
        "GET",
        "/deployments/{deployment[id]}/schedules",
        None,
        "objects.DeploymentSchedule",
        True,
    ),
    (
        "scheduled for runners",
        "POST",
        "/deployments/get_scheduled_flow_runs",
        {"deployment_ids": ["{deployment[id]}"]},
        "responses.FlowRunResponse",
        True,
    ),
    ("block type", "GET", "/block_types/slug/schemas-demo", None, "objects.BlockType", False),
    ("block types", "POST", "/block_types/filter", {"limit": None}, "objects.BlockType", True),
    ("block document", "GET", "/block_documents/{block[id]}", None, "objects.BlockDocument", False),
    (
        "block documents",
        "POST",
        "/block_documents/filter",
        {"limit": None, "offset": None},
        "objects.BlockDocument",
        True,
    ),
]


def _fill(value: Any, made: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**made)
    if isinstance(value, list):
        return [_fill(item, made) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, made) for key, item in value.items()}
    return value


@pytest.mark.parametrize(
    ("method", "path", "body", "model", "many"),
    [pytest.param(*read[1:], id=read[0]) for read in READS],
)
def test_prefects_client_schemas_read_the_answer(
    api, made, prefect_schemas, method, path, body, model, many
):
    answer = _json(api.request(method, _fill(path, made), json=_fill(body, made)))
    if many:
        assert answer, f"{path} answered an empty list: nothing was validated"
    assert prefect_schemas.errors(model, answer, many=many) == []


def test_a_flow_runs_retry_delay_is_one_whole_number_of_seconds(api, made, prefect_schemas):
    run = _json(api.get(f"/flow_runs/{made['run']['id']}"))
    assert run["empirical_policy"]["retry_delay"] == 5
    assert run["labels"] == {"team": "data"}
    task_run = _json(api.get(f"/task_runs/{made['task_run']['id']}"))
    assert task_run["empirical_policy"]["retry_delay"] == [1.0, 2.0]


def test_set_state_answers_prefects_orchestration_result(api, made, prefect_schemas):
    proposed = {"state": {"type": "COMPLETED"}}
    answer = _json(api.post(f"/task_runs/{made['task_run']['id']}/set_state", json=proposed))
    assert prefect_schemas.errors("responses.OrchestrationResult", answer) == []
