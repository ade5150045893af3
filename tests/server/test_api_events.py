"""Prefect's event routes: POST /api/events, /filter with its next page, /count-by, and the two
WebSockets (in: a stream of events, Prefect's client's task runs among them; out: a
subscription with a backfill)."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

from fastapi.testclient import TestClient


def _event(name: str, resource: str, **fields: Any) -> dict[str, Any]:
    return {"event": name, "resource": {"prefect.resource.id": resource}, **fields}


def _eventually(check: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not stored in time"
        time.sleep(0.02)


def _filter(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/events/filter", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_malformed_event_is_refused_naming_its_field_and_nothing_is_stored(client):
    good = _event("acme.order.created", "acme.order.1")
    no_id = {"event": "acme.order.created", "resource": {"prefect.resource.name": "x"}}
    response = client.post("/api/events", json=[good, no_id])
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"][-2:] == [1, "resource"]
    assert "prefect.resource.id" in detail["msg"]
    bad_name = client.post("/api/events", json=[_event("acme order", "acme.order.1")])
    assert bad_name.status_code == 422
    assert bad_name.json()["detail"][0]["loc"][-1] == "event"
    no_role = _event("acme.x", "acme.1", related=[{"prefect.resource.id": "acme.2"}])
    assert client.post("/api/events", json=[no_role]).status_code == 422
    assert _filter(client, {"filter": {"event": {"prefix": ["acme."]}}})["total"] == 0


def test_events_are_paged_with_the_next_page_url(client):
    start = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    batch = [
        _event(
            "acme.tick",
            f"acme.clock.{i % 2}",
            occurred=(start + dt.timedelta(seconds=i)).isoformat(),
            id=str(uuid.UUID(int=i + 1)),
        )
        for i in range(7)
    ]
    assert client.post("/api/events", json=batch).status_code == 204
    assert client.post("/api/events", json=batch).status_code == 204  # sent again: skipped
    page = _filter(client, {"filter": {"event": {"name": ["acme.tick"]}}, "limit": 3})
    assert page["total"] == 7 and len(page["events"]) == 3
    seen = [e["occurred"] for e in page["events"]]
    while page["next_page"]:
        path = page["next_page"].split("://", 1)[1].split("/", 1)[1]
        page = client.get("/" + path).json()
        seen += [e["occurred"] for e in page["events"]]
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 7
    assert client.get("/api/events/filter/next?page-token=bm9wZQ==").status_code == 403
    by_resource = _filter(
        client, {"filter": {"resource": {"id": ["acme.clock.1"]}, "order": "ASC"}}
    )
    assert by_resource["total"] == 3
    counts = client.post(
        "/api/events/count-by/resource", json={"filter": {"event": {"name": ["acme.tick"]}}}
    ).json()
    assert [(c["value"], c["count"]) for c in counts] == [("acme.clock.0", 4), ("acme.clock.1", 3)]
    per_minute = client.post(
        "/api/events/count-by/time",
        json={
            "filter": {
                "event": {"name": ["acme.tick"]},
                "occurred": {
                    "since": start.isoformat(),
                    "until": (start + dt.timedelta(minutes=2)).isoformat(),
                },
            },
            "time_unit": "minute",
        },
    ).json()
    assert [c["count"] for c in per_minute] == [7, 0]


def test_count_by_time_with_too_many_or_too_wide_buckets_is_a_422_naming_the_problem(client):
    window = {"since": "2040-01-01T00:00:00Z", "until": "4000-01-01T00:00:00Z"}
    many = client.post(
        "/api/events/count-by/day", json={"filter": {"occurred": window}, "time_unit": "day"}
    )
    assert many.status_code == 422 and "at most 1000" in many.json()["detail"]
    wide = client.post(
        "/api/events/count-by/time",
        json={"filter": {}, "time_unit": "day", "time_interval": 4.8e307},
    )
    assert wide.status_code == 422 and "too wide" in wide.json()["detail"]


def test_related_and_any_resource_filters_match_related_resources(client):
    related = [{"prefect.resource.id": "acme.customer.9", "prefect.resource.role": "customer"}]
    client.post("/api/events", json=[_event("acme.order.paid", "acme.order.1", related=related)])
    client.post("/api/events", json=[_event("acme.order.paid", "acme.order.2")])
    by_role = {"related": {"id": ["acme.customer.9"], "role": ["customer"]}}
    assert [
        e["resource"]["prefect.resource.id"] for e in _filter(client, {"filter": by_role})["events"]
    ] == ["acme.order.1"]
    wrong_role = {"related": {"id": ["acme.customer.9"], "role": ["seller"]}}
    assert _filter(client, {"filter": wrong_role})["total"] == 0
    anywhere = {"any_resource": {"id": ["acme.customer.9", "acme.order.2"]}}
    assert _filter(client, {"filter": anywhere})["total"] == 2


def _prefect_task_run_event(task_run: str, flow_run: str, state: str, kind: str, at: str) -> str:
    """A task-run state change as Prefect 3.9's client sends it over ws /api/events/in."""
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "occurred": at,
            "event": f"prefect.task-run.{state}",
            "resource": {
                "prefect.resource.id": f"prefect.task-run.{task_run}",
                "prefect.resource.name": "load-0",
                "prefect.state-name": state,
                "prefect.state-type": kind,
                "prefect.orchestration": "client",
            },
            "related": [
                {
                    "prefect.resource.id": f"prefect.flow-run.{flow_run}",
                    "prefect.resource.role": "flow-run",
                },
                {"prefect.resource.id": "prefect.tag.etl", "prefect.resource.role": "tag"},
            ],
            "payload": {
                "intended": {"from": None, "to": kind},
                "initial_state": None,
                "validated_state": {
                    "type": kind,
                    "name": state,
                    "message": "",
                    "state_details": {},
                    "data": None,
                },
                "task_run": {
                    "name": "load-0",
                    "task_key": "load-abc",
                    "dynamic_key": "0",
                    "tags": ["etl"],
                    "empirical_policy": {"retries": 0, "retry_delay": 0},
                    "run_count": 1 if kind != "PENDING" else 0,
                    "flow_run_run_count": 1,
                    "task_inputs": {},
                },
            },
        }
    )


def test_events_in_stores_a_stream_and_records_prefects_client_task_runs(client, new_run):
    flow_run = new_run("RUNNING")["id"]
    task_run = str(uuid.uuid4())
    with client.websocket_connect("/api/events/in", subprotocols=["prefect"]) as socket:
        socket.send_text(json.dumps({"type": "auth", "token": None}))
        assert socket.receive_json() == {"type": "auth_success"}
        for i in range(20):
            socket.send_text(json.dumps(_event("acme.stream", f"acme.item.{i}")))
        socket.send_text(
            _prefect_task_run_event(
                task_run, flow_run, "Pending", "PENDING", "2030-01-01T00:00:00Z"
            )
        )
        socket.send_text(
            _prefect_task_run_event(
                task_run, flow_run, "Completed", "COMPLETED", "2030-01-01T00:00:01Z"
            )
        )
    # the server stores what it received after the client left: wait for that commit
    _eventually(
        lambda: _filter(client, {"filter": {"event": {"name": ["acme.stream"]}}})["total"] == 20
    )
    _eventually(
        lambda: (
            _filter(client, {"filter": {"event": {"prefix": ["prefect.task-run."]}}})["total"] == 2
        )
    )
    runs = client.post(
        "/api/task_runs/filter", json={"flow_runs": {"id": {"any_": [flow_run]}}}
    ).json()
    assert [(r["id"], r["name"], r["state_type"]) for r in runs] == [
        (task_run, "load-0", "COMPLETED")
    ]
    states = client.get("/api/task_run_states/", params={"task_run_id": task_run}).json()
    assert [s["type"] for s in states] == ["PENDING", "COMPLETED"]
    stored = _filter(client, {"filter": {"resource": {"id": [f"prefect.task-run.{task_run}"]}}})
    assert stored["total"] == 2


def test_events_in_closes_on_a_malformed_event_after_storing_the_ones_before(client):
    with client.websocket_connect("/api/events/in") as socket:
        socket.send_text(json.dumps(_event("acme.before", "acme.1")))
        socket.send_text(json.dumps({"event": "acme.bad", "resource": {}}))
        closed = socket.receive()
    assert closed["type"] == "websocket.close" and closed["code"] == 1007
    assert "resource" in closed["reason"]
    assert _filter(client, {"filter": {"event": {"name": ["acme.before"]}}})["total"] == 1


def test_events_out_backfills_then_streams_new_matching_events(client):
    client.post("/api/events", json=[_event("acme.old", "acme.1"), _event("other.old", "x.1")])
    with client.websocket_connect("/api/events/out", subprotocols=["prefect"]) as socket:
        socket.send_text(json.dumps({"type": "auth", "token": None}))
        assert socket.receive_json()["type"] == "auth_success"
        socket.send_text(json.dumps({"type": "filter", "filter": {"event": {"prefix": ["acme."]}}}))
        first = socket.receive_json()
        assert first["type"] == "event" and first["event"]["event"] == "acme.old"
        client.post("/api/events", json=[_event("other.new", "x.2"), _event("acme.new", "acme.2")])
        assert socket.receive_json()["event"]["event"] == "acme.new"


def test_a_deployment_runs_events_name_its_flow_deployment_queue_pool_and_tags(client, flow_id):
    pool = client.post("/api/work_pools/", json={"name": "pool-a", "type": "process"}).json()
    body = {"name": "nightly", "flow_id": flow_id, "work_pool_name": "pool-a", "tags": ["etl"]}
    deployment = client.post("/api/deployments/", json=body).json()
    run = client.post(
        f"/api/deployments/{deployment['id']}/create_flow_run", json={"tags": ["adhoc"]}
    ).json()
    page = _filter(
        client, {"filter": {"resource": {"id": [f"prefect.flow-run.{run['id']}"]}}, "limit": 1}
    )
    event = page["events"][0]
    assert event["event"] == "prefect.flow-run.Scheduled"
    assert event["id"] == run["state"]["id"]  # the state's id, as Prefect's server has it
    by_role = {r["prefect.resource.role"]: r for r in event["related"]}
    assert by_role["flow"]["prefect.resource.id"] == f"prefect.flow.{flow_id}"
    assert by_role["flow"]["prefect.resource.name"] == "api-flow"
    assert by_role["deployment"] == {
        "prefect.resource.id": f"prefect.deployment.{deployment['id']}",
        "prefect.resource.role": "deployment",
        "prefect.resource.name": "nightly",
    }
    assert by_role["work-queue"]["prefect.resource.name"] == "default"
    assert by_role["work-pool"]["prefect.resource.id"] == f"prefect.work-pool.{pool['id']}"
    assert by_role["work-pool"]["prefect.work-pool.type"] == "process"
    tags = [
        r["prefect.resource.id"] for r in event["related"] if r["prefect.resource.role"] == "tag"
    ]
    assert tags == ["prefect.tag.adhoc", "prefect.tag.etl"]
