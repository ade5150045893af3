"""``/api/variables`` and ``/api/artifacts``: Prefect's paths, bodies and answers (on SQLite and
PostgreSQL)."""

from __future__ import annotations

import uuid


def test_variable_routes_by_id_and_by_name(client):
    created = client.post("/api/variables/", json={"name": "db_host", "value": {"port": 5432}})
    assert created.status_code == 201
    body = created.json()
    assert {"id", "created", "updated", "name", "value", "tags"} <= body.keys()
    assert body["tags"] == []
    assert client.post("/api/variables/", json={"name": "db_host", "value": 1}).status_code == 409

    assert client.get(f"/api/variables/{body['id']}").json()["value"] == {"port": 5432}
    assert client.get("/api/variables/name/db_host").json()["id"] == body["id"]
    assert client.get("/api/variables/name/nope").status_code == 404

    patch = client.patch("/api/variables/name/db_host", json={"value": "x", "tags": ["t"]})
    assert patch.status_code == 204
    assert client.patch(f"/api/variables/{body['id']}", json={"value": 7}).status_code == 204
    assert client.get("/api/variables/name/db_host").json()["value"] == 7
    assert client.patch("/api/variables/name/nope", json={"value": 1}).status_code == 404

    listed = client.post("/api/variables/filter", json={"variables": {"tags": {"all_": ["t"]}}})
    assert [v["name"] for v in listed.json()] == ["db_host"]
    assert client.post("/api/variables/count", json={}).json() == 1

    assert client.delete("/api/variables/name/db_host").status_code == 204
    assert client.delete(f"/api/variables/{body['id']}").status_code == 404


def test_a_bad_variable_name_is_a_422_naming_it(client):
    answer = client.post("/api/variables/", json={"name": "My Var", "value": 1})
    assert answer.status_code == 422
    assert "'My Var'" in answer.json()["detail"]
    assert client.post("/api/variables/count", json={}).json() == 0


def test_artifact_routes_with_prefects_fields(client):
    first = client.post("/api/artifacts/", json={"key": "report", "type": "markdown", "data": "a"})
    assert first.status_code == 201
    assert {"id", "key", "type", "description", "data", "metadata_", "flow_run_id"} <= set(
        first.json()
    )
    second = client.post("/api/artifacts/", json={"key": "report", "data": "b"}).json()

    latest = client.get("/api/artifacts/report/latest").json()
    assert latest["latest_id"] == second["id"] and latest["data"] == "b"
    assert client.get("/api/artifacts/nope/latest").status_code == 404
    assert client.get(f"/api/artifacts/{second['id']}").json()["data"] == "b"
    assert client.get(f"/api/artifacts/{uuid.uuid4()}").status_code == 404

    every = client.post("/api/artifacts/filter", json={"sort": "CREATED_DESC"}).json()
    assert [a["data"] for a in every] == ["b", "a"]
    assert client.post("/api/artifacts/count", json={}).json() == 2
    collection = client.post("/api/artifacts/latest/filter", json={"limit": None}).json()
    assert [(c["key"], c["latest_id"]) for c in collection] == [("report", second["id"])]
    assert client.post("/api/artifacts/latest/count", json={}).json() == 1

    update = client.patch(f"/api/artifacts/{second['id']}", json={"description": "new"})
    assert update.status_code == 204
    assert client.get(f"/api/artifacts/{second['id']}").json()["description"] == "new"
    assert client.delete(f"/api/artifacts/{second['id']}").status_code == 204
    assert client.get("/api/artifacts/report/latest").json()["data"] == "a"


def test_a_bad_artifact_key_is_a_422_naming_it(client):
    answer = client.post("/api/artifacts/", json={"key": "Not OK", "data": "x"})
    assert answer.status_code == 422 and "'Not OK'" in answer.json()["detail"]
