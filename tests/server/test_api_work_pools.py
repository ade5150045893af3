"""``/api/work_pools``, ``/api/work_queues`` and ``/api/deployments/get_scheduled_flow_runs``:
Prefect's paths, status codes and bodies."""

from __future__ import annotations

import datetime as _dt

from praefect import database
from praefect.database import tables


def test_work_pool_routes_create_read_filter_update_and_delete(client):
    created = client.post("/api/work_pools/", json={"name": "local", "type": "process"})
    assert created.status_code == 201, created.text
    pool = created.json()
    assert pool["status"] == "NOT_READY" and pool["default_queue_id"]
    assert client.post("/api/work_pools/", json={"name": "local"}).status_code == 409
    bad = client.post("/api/work_pools/", json={"name": "a/b"})
    assert bad.status_code == 422 and "name" in bad.text
    assert client.get("/api/work_pools/local").json()["id"] == pool["id"]
    assert client.get("/api/work_pools/nope").status_code == 404
    found = client.post(
        "/api/work_pools/filter", json={"work_pools": {"name": {"any_": ["local"]}}}
    )
    assert [p["name"] for p in found.json()] == ["local"]
    assert client.post("/api/work_pools/count", json={}).json() == 1
    assert client.patch("/api/work_pools/local", json={"is_paused": True}).status_code == 204
    assert client.get("/api/work_pools/local").json()["status"] == "PAUSED"
    assert client.patch("/api/work_pools/nope", json={"is_paused": True}).status_code == 404
    assert client.delete("/api/work_pools/local").status_code == 204
    assert client.delete("/api/work_pools/local").status_code == 404


def test_work_queue_and_worker_routes(client):
    client.post("/api/work_pools/", json={"name": "local"})
    made = client.post("/api/work_pools/local/queues", json={"name": "high", "priority": 1})
    assert made.status_code == 201, made.text
    queue = made.json()
    assert queue["work_pool_name"] == "local"
    names = client.post("/api/work_pools/local/queues/filter", json={}).json()
    assert sorted(q["name"] for q in names) == ["default", "high"]
    assert client.get("/api/work_pools/local/queues/high").json()["id"] == queue["id"]
    assert client.get(f"/api/work_queues/{queue['id']}").json()["name"] == "high"
    patched = client.patch("/api/work_pools/local/queues/high", json={"concurrency_limit": 2})
    assert patched.status_code == 204
    assert client.get(f"/api/work_queues/{queue['id']}").json()["concurrency_limit"] == 2
    assert client.patch(f"/api/work_queues/{queue['id']}", json={"priority": 0}).status_code == 422
    default_id = client.get("/api/work_pools/local").json()["default_queue_id"]
    refused = client.delete(f"/api/work_queues/{default_id}")
    assert refused.status_code == 422 and "default queue" in refused.text
    assert client.delete("/api/work_pools/local/queues/high").status_code == 204

    beat = client.post("/api/work_pools/local/workers/heartbeat", json={"name": "w1"})
    assert beat.status_code == 204
    workers = client.post("/api/work_pools/local/workers/filter", json={}).json()
    assert [(w["name"], w["status"]) for w in workers] == [("w1", "ONLINE")]
    assert client.get("/api/work_pools/local").json()["status"] == "READY"
    assert client.delete("/api/work_pools/local/workers/w1").status_code == 204
    assert (
        client.post("/api/work_pools/nope/workers/heartbeat", json={"name": "w"}).status_code == 404
    )


def test_a_worker_gets_the_due_scheduled_runs_of_its_pool(client, flow_id):
    client.post("/api/work_pools/", json={"name": "local"})
    default = client.get("/api/work_pools/local/queues/default").json()
    past = (_dt.datetime.now(_dt.UTC) - _dt.timedelta(seconds=5)).isoformat()
    state = {"type": "SCHEDULED", "state_details": {"scheduled_time": past}}
    run = client.post("/api/flow_runs/", json={"flow_id": flow_id, "state": state}).json()
    # runs of a deployment carry their queue's id (set by create_flow_run from a deployment)
    engine = database.get_engine(client.app.state.database_url)
    database.write(
        engine,
        lambda conn: conn.execute(tables.flow_run.update().values(work_queue_id=default["id"])),
    )
    items = client.post("/api/work_pools/local/get_scheduled_flow_runs", json={}).json()
    assert [(i["flow_run"]["id"], i["work_queue_id"]) for i in items] == [
        (run["id"], default["id"])
    ]
    before = (_dt.datetime.now(_dt.UTC) - _dt.timedelta(minutes=1)).isoformat()
    body = {"scheduled_before": before, "work_queue_names": ["default"]}
    assert client.post("/api/work_pools/local/get_scheduled_flow_runs", json=body).json() == []
    missing = client.post("/api/work_pools/nope/get_scheduled_flow_runs", json={})
    assert missing.status_code == 404


def test_get_scheduled_flow_runs_for_deployments_needs_deployment_ids(client):
    answer = client.post("/api/deployments/get_scheduled_flow_runs", json={"deployment_ids": []})
    assert answer.status_code == 200 and answer.json() == []
    assert client.post("/api/deployments/get_scheduled_flow_runs", json={}).status_code == 422
