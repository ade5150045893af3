"""``ws /api/task_runs/subscriptions/scheduled``, Prefect's delivery of background runs to its
task workers: each run sent once, acknowledged, the worker listed while it listens."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from praefect.client.http import HttpClient
from praefect.schemas.states import State, StateType
from praefect.server.background import BackgroundServer


@pytest.fixture
def server(praefect_home):
    url = f"sqlite:///{praefect_home / 'ws.db'}"
    with BackgroundServer(database_url=url) as running:
        yield running


def _connect(server):
    ws_url = "ws" + server.api_url[4:] + "/task_runs/subscriptions/scheduled"
    return connect(ws_url, subprotocols=["prefect"], open_timeout=10)


def _subscribe(socket, keys, client_id="prefect-worker-1"):
    socket.send(json.dumps({"type": "auth", "token": None}))
    assert json.loads(socket.recv(timeout=10)) == {"type": "auth_success"}
    socket.send(json.dumps({"type": "subscribe", "keys": keys, "client_id": client_id}))


def _schedule(client, task_key="add-1234"):
    run_id = uuid.uuid4()
    row = {"id": run_id, "name": "add-1", "task_key": task_key, "dynamic_key": "1"}
    details = {"task_parameters_id": uuid.uuid4(), "deferred": True}
    client.schedule_task_run(row, State(StateType.SCHEDULED, state_details=details))
    return run_id


def test_a_subscribed_worker_gets_each_scheduled_run_once_claimed_for_it(server, praefect_home):
    client = HttpClient(server.api_url, home=praefect_home, retry_seconds=5.0)
    first = _schedule(client)
    with _connect(server) as socket:
        _subscribe(socket, ["add-1234"])
        delivered = json.loads(socket.recv(timeout=10))
        assert delivered["id"] == str(first)
        assert delivered["state"]["type"] == "PENDING"
        assert delivered["state"]["state_details"]["task_parameters_id"]
        socket.send(json.dumps({"type": "ack"}))
        second = _schedule(client)  # scheduled while the worker listens
        assert json.loads(socket.recv(timeout=10))["id"] == str(second)
        socket.send(json.dumps({"type": "ack"}))
        workers = client.read_task_workers()
        assert [w["identifier"] for w in workers] == ["prefect-worker-1"]
        assert client.claim_task_runs(["add-1234"], "other") == []  # nothing left to take
    client.close()


def test_a_subscription_without_task_keys_is_refused_saying_so(server):
    with _connect(server) as socket:
        _subscribe(socket, [], "w")
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    assert closed.value.rcvd.reason == "Expected task keys"


def test_a_prefect_workers_result_reference_is_kept_for_the_caller_of_delay(praefect_home):
    """Prefect's task worker records a background run's Completed state as an event whose
    state data is its result record's metadata; Prefect's future reads it back from the API."""
    from fastapi.testclient import TestClient

    from praefect.server.app import create_app

    app = create_app(database_url=f"sqlite:///{praefect_home / 'events.db'}")
    task_run = str(uuid.uuid4())
    metadata = {"storage_key": "/results/abc", "serializer": {"type": "pickle"}}
    metadata.update(expiration=None, prefect_version="3.9.1", storage_block_id=None)
    event = {
        "id": str(uuid.uuid4()),
        "occurred": "2030-01-01T00:00:01Z",
        "event": "prefect.task-run.Completed",
        "resource": {
            "prefect.resource.id": f"prefect.task-run.{task_run}",
            "prefect.resource.name": "triple",
            "prefect.state-name": "Completed",
            "prefect.state-type": "COMPLETED",
            "prefect.orchestration": "client",
        },
        "related": [],
        "payload": {
            "validated_state": {
                "type": "COMPLETED",
                "name": "Completed",
                "message": "",
                "state_details": {},
                "data": metadata,
            },
            "task_run": {"name": "triple", "task_key": "triple-1a2b", "dynamic_key": "1"},
        },
    }
    with TestClient(app) as client:
        with client.websocket_connect("/api/events/in", subprotocols=["prefect"]) as socket:
            socket.send_text(json.dumps({"type": "auth", "token": None}))
            assert socket.receive_json() == {"type": "auth_success"}
            socket.send_text(json.dumps(event))
        for _ in range(200):
            response = client.get(f"/api/task_runs/{task_run}")
            if response.status_code == 200:
                break
            time.sleep(0.05)
        assert response.json()["state"]["data"] == metadata
