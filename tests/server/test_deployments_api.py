"""``/api/deployments`` (Prefect 3's paths), on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from praefect import database
from praefect.database import tables

SCHEMA = {
    "title": "Parameters",
    "type": "object",
    "properties": {
        "n": {"title": "n", "type": "integer", "default": 1, "position": 0},
        "label": {"title": "label", "type": "string", "position": 1},
    },
    "required": ["label"],
}


@pytest.fixture
def deploy(client: TestClient, flow_id: str):
    def create(**fields: Any) -> dict[str, Any]:
        body = {"name": "nightly", "flow_id": flow_id, **fields}
        response = client.post("/api/deployments/", json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    return create


def _add_pool(client: TestClient, name: str) -> str:
    """A process work pool; return the id of its default queue."""
    response = client.post("/api/work_pools/", json={"name": name, "type": "process"})
    assert response.status_code == 201, response.text
    return response.json()["default_queue_id"]


def test_create_read_by_id_and_name_then_upsert_keeps_the_id(client, deploy, flow_id):
    schedules = [{"schedule": {"cron": "0 9 * * 1-5", "timezone": "America/New_York"}}]
    created = client.post(
        "/api/deployments/",
        json={
            "name": "nightly",
            "flow_id": flow_id,
            "tags": ["etl"],
            "parameters": {"n": 2},
            "description": "every weekday",
            "entrypoint": "flows.py:etl",
            "schedules": schedules,
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["schedules"][0]["schedule"]["cron"] == "0 9 * * 1-5"
    assert body["schedules"][0]["active"] is True
    assert client.get(f"/api/deployments/{body['id']}").json()["tags"] == ["etl"]
    by_name = client.get("/api/deployments/name/api-flow/nightly")
    assert by_name.status_code == 200 and by_name.json()["id"] == body["id"]
    assert client.get("/api/deployments/name/api-flow/other").status_code == 404

    again = client.post(
        "/api/deployments/",
        json={"name": "nightly", "flow_id": flow_id, "version": "2", "schedules": []},
    )
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert again.json()["version"] == "2"
    assert again.json()["schedules"] == []


def test_filter_count_update_pause_resume_and_delete(client, deploy, flow_id):
    first = deploy(name="a", tags=["x"])
    deploy(name="b")
    listed = client.post("/api/deployments/filter", json={}).json()
    assert [d["name"] for d in listed] == ["a", "b"]
    tagged = {"deployments": {"tags": {"all_": ["x"]}}}
    assert [d["name"] for d in client.post("/api/deployments/filter", json=tagged).json()] == ["a"]
    assert client.post("/api/deployments/count", json={}).json() == 2
    newest = client.post("/api/deployments/filter", json={"sort": "NAME_DESC", "limit": 1})
    assert [d["name"] for d in newest.json()] == ["b"]

    patch = client.patch(f"/api/deployments/{first['id']}", json={"description": "new"})
    assert patch.status_code == 204
    assert client.get(f"/api/deployments/{first['id']}").json()["description"] == "new"

    assert client.post(f"/api/deployments/{first['id']}/pause_deployment").status_code == 204
    assert client.get(f"/api/deployments/{first['id']}").json()["paused"] is True
    paused = {"deployments": {"paused": {"eq_": True}}}
    assert client.post("/api/deployments/count", json=paused).json() == 1
    assert client.post(f"/api/deployments/{first['id']}/resume_deployment").status_code == 204
    assert client.get(f"/api/deployments/{first['id']}").json()["paused"] is False

    run = client.post(f"/api/deployments/{first['id']}/create_flow_run", json={}).json()
    assert client.delete(f"/api/deployments/{first['id']}").status_code == 204
    assert client.get(f"/api/deployments/{first['id']}").status_code == 404
    assert client.delete(f"/api/deployments/{first['id']}").status_code == 404
    kept = client.get(f"/api/flow_runs/{run['id']}").json()
    assert kept["deployment_id"] == first["id"]  # the run outlives its deployment


def test_create_flow_run_merges_parameters_tags_and_job_variables(client, deploy):
    deployment = deploy(
        parameters={"n": 3, "label": "x"},
        tags=["dep"],
        job_variables={"env": {"A": "1"}},
        version="v7",
    )
    response = client.post(
        f"/api/deployments/{deployment['id']}/create_flow_run",
        json={"parameters": {"n": 5}, "tags": ["run"], "name": "by-hand"},
    )
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["parameters"] == {"n": 5, "label": "x"}
    assert run["tags"] == ["dep", "run"]
    assert run["name"] == "by-hand"
    assert run["deployment_id"] == deployment["id"]
    assert run["deployment_version"] == "v7"
    assert run["job_variables"] == {"env": {"A": "1"}}
    assert run["state"]["type"] == "SCHEDULED"
    assert run["next_scheduled_start_time"] is not None


def test_create_flow_run_with_the_same_idempotency_key_gives_the_same_run(client, deploy):
    deployment = deploy()
    url = f"/api/deployments/{deployment['id']}/create_flow_run"
    first = client.post(url, json={"idempotency_key": "k1"}).json()
    second = client.post(url, json={"idempotency_key": "k1", "parameters": {"n": 9}}).json()
    third = client.post(url, json={"idempotency_key": "k2"}).json()
    assert first["id"] == second["id"] != third["id"]
    assert second["parameters"] == {}


def test_parameters_refused_by_the_schema_answer_422_naming_the_field(client, deploy):
    deployment = deploy(parameter_openapi_schema=SCHEMA, parameters={"label": "x"})
    url = f"/api/deployments/{deployment['id']}/create_flow_run"
    bad = client.post(url, json={"parameters": {"n": "many"}})
    assert bad.status_code == 422
    assert "n: 'many' is not of type 'integer'" in bad.json()["detail"]
    unenforced = deploy(
        name="loose", parameter_openapi_schema=SCHEMA, enforce_parameter_schema=False
    )
    loose = f"/api/deployments/{unenforced['id']}/create_flow_run"
    assert client.post(loose, json={"parameters": {"n": "many"}}).status_code == 201
    # nothing half-written: the refused run is not there
    assert client.post("/api/flow_runs/count", json={}).json() == 1


def test_a_parameter_the_flow_does_not_take_answers_422_naming_it(client, deploy):
    deployment = deploy(parameter_openapi_schema=SCHEMA)
    url = f"/api/deployments/{deployment['id']}/create_flow_run"
    bad = client.post(url, json={"parameters": {"label": "x", "unknown": 1}})
    assert bad.status_code == 422
    assert "unknown: not a parameter of the flow (it takes: " in bad.json()["detail"]
    assert client.post("/api/flow_runs/count", json={}).json() == 0


def test_missing_required_parameter_is_named(client, deploy):
    deployment = deploy(parameter_openapi_schema=SCHEMA)
    bad = client.post(f"/api/deployments/{deployment['id']}/create_flow_run", json={})
    assert bad.status_code == 422
    assert "'label' is a required property" in bad.json()["detail"]


def test_bad_input_is_422_or_404_naming_what_is_wrong(client, deploy, flow_id):
    missing_flow = client.post(
        "/api/deployments/", json={"name": "x", "flow_id": str(uuid.uuid4())}
    )
    assert missing_flow.status_code == 404 and "flow_id" in missing_flow.json()["detail"]
    bad_cron = client.post(
        "/api/deployments/",
        json={"name": "x", "flow_id": flow_id, "schedules": [{"schedule": {"cron": "nope"}}]},
    )
    assert bad_cron.status_code == 422
    assert "schedules" in bad_cron.json()["exception_message"]
    bad_name = client.post("/api/deployments/", json={"name": "a/b", "flow_id": flow_id})
    assert bad_name.status_code == 422 and "name" in bad_name.json()["exception_message"]
    no_pool = client.post(
        "/api/deployments/", json={"name": "x", "flow_id": flow_id, "work_pool_name": "ghost"}
    )
    assert no_pool.status_code == 404 and "ghost" in no_pool.json()["detail"]
    assert client.post("/api/deployments/count", json={}).json() == 0
    unknown = uuid.uuid4()
    assert client.get(f"/api/deployments/{unknown}").status_code == 404
    assert client.post(f"/api/deployments/{unknown}/create_flow_run", json={}).status_code == 404
    assert client.post(f"/api/deployments/{unknown}/pause_deployment").status_code == 404
    assert client.get(f"/api/deployments/{unknown}/schedules").status_code == 404
    assert client.get("/api/deployments/not-a-uuid").status_code == 422


def test_schedules_crud(client, deploy):
    deployment = deploy(schedules=[{"schedule": {"interval": 3600}, "slug": "hourly"}])
    url = f"/api/deployments/{deployment['id']}/schedules"
    [hourly] = client.get(url).json()
    assert hourly["schedule"]["interval"] == 3600.0 and hourly["slug"] == "hourly"

    added = client.post(url, json=[{"schedule": {"rrule": "FREQ=DAILY"}, "active": False}])
    assert added.status_code == 201
    rrule_id = added.json()[0]["id"]
    taken = client.post(url, json=[{"schedule": {"cron": "* * * * *"}, "slug": "hourly"}])
    assert taken.status_code == 409
    assert len(client.get(url).json()) == 2

    patch = client.patch(f"{url}/{rrule_id}", json={"active": True, "parameters": {"n": 1}})
    assert patch.status_code == 204
    changed = {s["id"]: s for s in client.get(url).json()}[rrule_id]
    assert changed["active"] is True and changed["parameters"] == {"n": 1}
    assert changed["schedule"]["rrule"] == "FREQ=DAILY"

    assert client.delete(f"{url}/{rrule_id}").status_code == 204
    assert client.delete(f"{url}/{rrule_id}").status_code == 404
    assert [s["slug"] for s in client.get(url).json()] == ["hourly"]


def test_work_pool_deployment_runs_go_to_the_pool_queue(client, deploy):
    default_queue = _add_pool(client, "local")
    deployment = deploy(work_pool_name="local")
    assert deployment["work_queue_name"] == "default"
    assert deployment["work_queue_id"] == default_queue
    run = client.post(f"/api/deployments/{deployment['id']}/create_flow_run", json={}).json()
    assert run["work_queue_id"] == default_queue

    deploy(name="unpooled")
    in_pool = {"work_pools": {"name": {"any_": ["local"]}}}
    assert [d["name"] for d in client.post("/api/deployments/filter", json=in_pool).json()] == [
        "nightly"
    ]
    ran = {"flow_runs": {"id": {"any_": [run["id"]]}}}
    assert client.post("/api/deployments/count", json=ran).json() == 1

    other = client.post(
        f"/api/deployments/{deployment['id']}/create_flow_run",
        json={"work_queue_name": "urgent"},
    ).json()
    assert other["work_queue_name"] == "urgent"
    assert other["work_queue_id"] not in (None, default_queue)


def test_pausing_or_rescheduling_removes_future_auto_scheduled_runs(client, deploy, database_url):
    deployment = deploy(schedules=[{"schedule": {"interval": 60}}])
    manual = client.post(f"/api/deployments/{deployment['id']}/create_flow_run", json={}).json()
    auto_id = uuid.uuid4()
    engine = database.get_engine(database_url)

    def auto(conn: sa.Connection) -> None:
        from praefect import orchestration

        orchestration.deployments.create_flow_run(
            conn, uuid.UUID(deployment["id"]), {"id": auto_id}
        )
        conn.execute(
            tables.flow_run.update()
            .where(tables.flow_run.c.id == auto_id)
            .values(auto_scheduled=True)
        )

    database.write(engine, auto)
    assert client.post(f"/api/deployments/{deployment['id']}/pause_deployment").status_code == 204
    assert client.get(f"/api/flow_runs/{auto_id}").status_code == 404
    assert client.get(f"/api/flow_runs/{manual['id']}").status_code == 200
