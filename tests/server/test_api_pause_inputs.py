"""``/api/flow_runs/{id}/resume`` and the ``/input`` routes over REST, with Prefect 3.9.1's
bodies and answers."""

from __future__ import annotations

import json


def _pause(client, run_id, **details):
    body = {"state": {"type": "PAUSED", "name": "Paused",
                      "state_details": {"pause_key": "1", **details}}}  # fmt: skip
    response = client.post(f"/api/flow_runs/{run_id}/set_state", json=body)
    assert response.json()["status"] == "ACCEPT", response.text


def test_input_routes_take_prefects_bodies(client, new_run):
    run_id = new_run("RUNNING")["id"]
    base = f"/api/flow_runs/{run_id}/input"
    body = {"key": "greeting-1", "value": json.dumps("hello"), "sender": None}
    assert client.post(base, json=body).status_code == 201
    assert client.post(base, json=body).status_code == 409
    bad = client.post(base, json={"key": "Not OK", "value": "1"})
    assert bad.status_code == 422
    assert "key" in bad.text

    found = client.post(
        f"{base}/filter", json={"prefix": "greeting", "limit": 1, "exclude_keys": []}
    )
    assert found.status_code == 200
    (item,) = found.json()
    assert {"id", "created", "updated", "flow_run_id", "key", "value", "sender"} <= item.keys()
    assert (item["key"], item["value"]) == ("greeting-1", '"hello"')

    read = client.get(f"{base}/greeting-1")
    assert (read.status_code, read.text) == (200, '"hello"')
    assert client.delete(f"{base}/greeting-1").status_code == 204
    assert client.get(f"{base}/greeting-1").status_code == 404
    assert client.delete(f"{base}/greeting-1").status_code == 404


def test_resume_answers_409_422_and_201(client, new_run):
    run_id = new_run("RUNNING")["id"]
    not_paused = client.post(f"/api/flow_runs/{run_id}/resume", json={"run_input": None})
    assert not_paused.status_code == 409
    assert not_paused.json()["state"]["type"] == "RUNNING"
    assert "not paused" in not_paused.json()["detail"]

    schema = {"type": "object", "properties": {"approved": {"type": "boolean"}},
              "required": ["approved"]}  # fmt: skip
    keyset = {"schema": "paused-1-schema", "response": "paused-1-response",
              "description": "paused-1-description"}  # fmt: skip
    client.post(
        f"/api/flow_runs/{run_id}/input",
        json={"key": keyset["schema"], "value": json.dumps(schema)},
    )
    _pause(client, run_id, run_input_keyset=keyset)
    bad = client.post(f"/api/flow_runs/{run_id}/resume", json={"run_input": {"approved": "maybe"}})
    assert bad.status_code == 422
    assert "approved: 'maybe' is not of type 'boolean'" in bad.json()["detail"]
    assert client.get(f"/api/flow_runs/{run_id}").json()["state"]["type"] == "PAUSED"

    ok = client.post(f"/api/flow_runs/{run_id}/resume", json={"run_input": {"approved": True}})
    assert ok.status_code == 201
    assert ok.json()["status"] == "ACCEPT"
    assert ok.json()["state"]["type"] == "RUNNING"
    answer = client.get(f"/api/flow_runs/{run_id}/input/{keyset['response']}")
    assert json.loads(answer.text) == {"approved": True}
