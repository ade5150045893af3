"""Task runs (one at a time and in batches), the flow-run graph, logs and events over REST."""

from __future__ import annotations

import datetime as dt
import uuid


def _row(flow_run_id, name, inputs=None, **fields):
    return {
        "id": str(uuid.uuid4()),
        "name": name,
        "flow_run_id": flow_run_id,
        "task_key": name,
        "dynamic_key": 0,
        "task_inputs": inputs or {},
        **fields,
    }


def _state(kind, **fields):
    return {"type": kind, "id": str(uuid.uuid4()), **fields}


def test_task_run_create_read_set_state_and_filter(client, new_run):
    run = new_run("RUNNING")
    created = client.post(
        "/api/task_runs/", json={"name": "t", "task_key": "t", "flow_run_id": run["id"]}
    )
    assert created.status_code == 201
    task = created.json()
    assert task["state"]["type"] == "PENDING" and task["dynamic_key"] == "0"
    result = client.post(
        f"/api/task_runs/{task['id']}/set_state", json={"state": {"type": "RUNNING"}}
    )
    assert result.json()["status"] == "ACCEPT"
    client.post(f"/api/task_runs/{task['id']}/set_state", json={"state": {"type": "COMPLETED"}})
    read = client.get(f"/api/task_runs/{task['id']}").json()
    assert read["state_type"] == "COMPLETED" and read["run_count"] == 1 and read["end_time"]
    states = client.get("/api/task_run_states/", params={"task_run_id": task["id"]}).json()
    assert [s["type"] for s in states] == ["PENDING", "RUNNING", "COMPLETED"]
    of_run = {"task_runs": {"flow_run_id": {"any_": [run["id"]]}}}
    assert [t["id"] for t in client.post("/api/task_runs/filter", json=of_run).json()] == [
        task["id"]
    ]
    assert client.post("/api/task_runs/count", json=of_run).json() == 1
    missing = str(uuid.uuid4())
    gone = client.post(f"/api/task_runs/{missing}/set_state", json={"state": {"type": "RUNNING"}})
    assert gone.status_code == 404 and missing in gone.json()["detail"]


def test_batch_route_records_rows_and_states_in_order_and_is_safe_to_resend(client, new_run):
    run = new_run("RUNNING")
    a = _row(run["id"], "a")
    b = _row(run["id"], "b", {"x": [{"input_type": "task_run", "id": a["id"]}]})
    items = [
        {"row": a, "state": _state("PENDING")},
        {"row": a, "state": _state("RUNNING")},
        {"row": {**a, "run_count": 1}, "state": _state("COMPLETED")},
        {"row": b, "state": _state("PENDING")},
        {"row": {**b, "tags": ["late"]}, "state": None},
    ]
    first = client.post("/api/task_runs/batch", json=items)
    assert first.status_code == 201 and first.json() == {"accepted": 5}
    again = client.post("/api/task_runs/batch", json=items)
    assert again.status_code == 201
    read_a = client.get(f"/api/task_runs/{a['id']}").json()
    assert read_a["state_type"] == "COMPLETED" and read_a["run_count"] == 1
    history = client.get("/api/task_run_states/", params={"task_run_id": a["id"]}).json()
    assert [s["type"] for s in history] == ["PENDING", "RUNNING", "COMPLETED"]
    read_b = client.get(f"/api/task_runs/{b['id']}").json()
    assert read_b["tags"] == ["late"] and read_b["state_type"] == "PENDING"
    events = client.post(
        "/api/events/filter",
        json={"filter": {"resource": {"id": [f"prefect.task-run.{a['id']}"]}}},
    ).json()
    assert events["total"] == 3


def test_batch_items_may_send_a_task_runs_row_once_with_its_last_item(client, new_run):
    run = new_run("RUNNING")
    a = {**_row(run["id"], "a"), "run_count": 1}
    items = [
        {"task_run_id": a["id"], "state": _state("PENDING")},
        {"task_run_id": a["id"], "state": _state("RUNNING")},
        {"row": a, "state": _state("COMPLETED")},
    ]
    response = client.post("/api/task_runs/batch", json=items)
    assert response.status_code == 201 and response.json() == {"accepted": 3}
    read = client.get(f"/api/task_runs/{a['id']}").json()
    assert read["state_type"] == "COMPLETED" and read["run_count"] == 1
    history = client.get("/api/task_run_states/", params={"task_run_id": a["id"]}).json()
    assert [s["type"] for s in history] == ["PENDING", "RUNNING", "COMPLETED"]
    assert all(s["state_details"]["task_run_id"] == a["id"] for s in history)


def test_batch_item_without_a_row_in_its_batch_is_refused(client, new_run):
    run = new_run("RUNNING")
    stray = str(uuid.uuid4())
    items = [{"row": _row(run["id"], "a"), "state": None}, {"task_run_id": stray, "state": None}]
    response = client.post("/api/task_runs/batch", json=items)
    assert response.status_code == 422
    assert "body.1.row" in response.json()["exception_message"]
    assert stray in response.json()["exception_message"]
    nameless = client.post("/api/task_runs/batch", json=[{"state": _state("PENDING")}])
    assert nameless.status_code == 422
    assert "row or its task_run_id" in nameless.json()["exception_message"]
    assert client.post("/api/task_runs/count", json={}).json() == 0


def test_batch_route_refuses_a_row_without_id(client):
    item = {"row": {"name": "a", "task_key": "a"}, "state": None}
    response = client.post("/api/task_runs/batch", json=[item])
    assert response.status_code == 422
    assert "body.0.row.id" in response.json()["exception_message"]


def test_graph_lists_task_runs_with_their_upstream_task_runs(client, new_run):
    run = new_run("RUNNING")
    a = _row(run["id"], "a")
    b = _row(run["id"], "b", {"x": [{"input_type": "task_run", "id": a["id"]}]})
    c = _row(
        run["id"],
        "c",
        {
            "x": [{"input_type": "task_run", "id": a["id"]}],
            "y": [
                {"input_type": "task_run", "id": b["id"]},
                {"input_type": "parameter", "name": "p"},
            ],
        },
    )
    items = [{"row": r, "state": _state("COMPLETED")} for r in (a, b, c)]
    client.post("/api/task_runs/batch", json=items)
    graph = {n["name"]: n for n in client.get(f"/api/flow_runs/{run['id']}/graph").json()}
    assert set(graph) == {"a", "b", "c"}
    upstream = {
        name: {d["id"] for d in node["upstream_dependencies"]} for name, node in graph.items()
    }
    assert upstream == {"a": set(), "b": {a["id"]}, "c": {a["id"], b["id"]}}
    assert graph["c"]["state"]["type"] == "COMPLETED"


def test_logs_batch_and_filter(client, new_run):
    run = new_run()
    now = dt.datetime.now(dt.UTC)
    logs = [
        {
            "name": "praefect.flow_runs",
            "level": 20 + 10 * (i % 2),
            "message": f"line {i}",
            "timestamp": (now + dt.timedelta(seconds=i)).isoformat(),
            "flow_run_id": run["id"],
        }
        for i in range(4)
    ]
    assert client.post("/api/logs/", json=logs).status_code == 201
    body = {"logs": {"flow_run_id": {"any_": [run["id"]]}, "level": {"ge_": 30}}}
    found = client.post("/api/logs/filter", json=body).json()
    assert [log["message"] for log in found] == ["line 1", "line 3"]
    newest = client.post("/api/logs/filter", json={"sort": "TIMESTAMP_DESC", "limit": 1}).json()
    assert newest[0]["message"] == "line 3"
    bad = client.post("/api/logs/", json=[{**logs[0], "level": "loud"}])
    assert bad.status_code == 422 and "body.0.level" in bad.json()["exception_message"]


def test_events_batch_and_filter_with_prefect_body(client):
    marker = uuid.uuid4().hex[:8]
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    events = [
        {
            "id": str(uuid.uuid4()),
            "occurred": (base + dt.timedelta(minutes=i)).isoformat(),
            "event": f"acme.{marker}.{kind}",
            "resource": {"prefect.resource.id": f"acme.order.{i}"},
            "related": [
                {"prefect.resource.id": "acme.customer.1", "prefect.resource.role": "customer"}
            ],
            "payload": {"i": i},
        }
        for i, kind in enumerate(["created", "paid", "created"])
    ]
    assert client.post("/api/events", json=events).status_code == 204
    assert client.post("/api/events", json=events).status_code == 204  # resent: ignored
    body = {"filter": {"event": {"prefix": [f"acme.{marker}.created"]}}, "limit": 50}
    page = client.post("/api/events/filter", json=body).json()
    assert page["total"] == 2 and page["next_page"] is None
    assert [e["payload"]["i"] for e in page["events"]] == [2, 0]  # newest first
    assert page["events"][0]["related"][0]["prefect.resource.role"] == "customer"
    window = {
        "filter": {
            "event": {"prefix": [f"acme.{marker}"]},
            "occurred": {"since": (base + dt.timedelta(seconds=30)).isoformat()},
            "order": "ASC",
        }
    }
    assert [
        e["payload"]["i"] for e in client.post("/api/events/filter", json=window).json()["events"]
    ] == [1, 2]
    by_resource = {"filter": {"resource": {"id": ["acme.order.1"]}}}
    assert client.post("/api/events/filter", json=by_resource).json()["total"] == 1
    no_resource_id = client.post("/api/events", json=[{"event": "x", "resource": {}}])
    assert no_resource_id.status_code == 422
    assert "body.0.resource" in no_resource_id.json()["exception_message"]
