"""Flow runs over REST: the lifecycle, the orchestration answers, filters and their indexes."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa

from praefect import database
from praefect.database import tables
from praefect.orchestration import filters as sql_filters
from praefect.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
from praefect.schemas.queries import FlowRunCriteria


def _set(client, run_id, state, force=False, **extra):
    body = {"state": {"type": state, **extra}, "force": force}
    response = client.post(f"/api/flow_runs/{run_id}/set_state", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_health_and_version_answer(client):
    assert client.get("/api/health").json() is True
    assert isinstance(client.get("/api/version").json(), str)


def test_flow_run_lifecycle_with_prefect_paths_and_fields(client, flow_id):
    run = client.post(
        "/api/flow_runs/",
        json={"flow_id": flow_id, "state": {"type": "SCHEDULED"}, "parameters": {"a": 1}},
    ).json()
    assert run["state"]["type"] == "SCHEDULED" and run["name"]
    result = _set(client, run["id"], "PENDING")
    assert result["status"] == "ACCEPT" and result["state"]["type"] == "PENDING"
    assert result["details"]["type"] == "accept_details"
    read = client.get(f"/api/flow_runs/{run['id']}").json()
    assert read["state_type"] == "PENDING" and read["parameters"] == {"a": 1}
    assert isinstance(read["total_run_time"], float)
    uuid.UUID(read["id"])
    dt.datetime.fromisoformat(read["created"])
    history = client.get("/api/flow_run_states/", params={"flow_run_id": run["id"]}).json()
    assert [s["type"] for s in history] == ["SCHEDULED", "PENDING"]


def test_a_created_flow_run_is_pending_by_default(new_run):
    assert new_run()["state"]["type"] == "PENDING"


def test_creating_a_flow_is_idempotent_by_name(client):
    first = client.post("/api/flows/", json={"name": "same"})
    second = client.post("/api/flows/", json={"name": "same"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert client.get("/api/flows/name/same").json()["id"] == first.json()["id"]


def test_creating_a_flow_run_again_with_its_id_or_idempotency_key_returns_it(client, flow_id):
    run_id = str(uuid.uuid4())
    body = {"id": run_id, "flow_id": flow_id, "idempotency_key": "k1"}
    assert client.post("/api/flow_runs/", json=body).status_code == 201
    again = client.post("/api/flow_runs/", json=body)
    assert again.status_code == 200 and again.json()["id"] == run_id
    same_key = client.post("/api/flow_runs/", json={"flow_id": flow_id, "idempotency_key": "k1"})
    assert same_key.status_code == 200 and same_key.json()["id"] == run_id


def test_future_scheduled_run_asked_to_run_is_told_to_wait(client, new_run):
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)).isoformat()
    run = new_run()
    _set(client, run["id"], "SCHEDULED", state_details={"scheduled_time": later}, force=True)
    result = _set(client, run["id"], "RUNNING")
    assert result["status"] == "WAIT"
    assert 50 < result["details"]["delay_seconds"] <= 60
    assert client.get(f"/api/flow_runs/{run['id']}").json()["state_type"] == "SCHEDULED"


def test_pending_twice_is_aborted(client, new_run):
    run = new_run("SCHEDULED")
    assert _set(client, run["id"], "PENDING")["status"] == "ACCEPT"
    aborted = _set(client, run["id"], "PENDING")
    assert aborted["status"] == "ABORT" and "PENDING" in aborted["details"]["reason"]


def test_late_only_from_scheduled(client, new_run):
    run = new_run("SCHEDULED")
    assert _set(client, run["id"], "SCHEDULED", name="Late")["status"] == "ACCEPT"
    assert _set(client, run["id"], "SCHEDULED", name="Late")["status"] == "REJECT"
    running = new_run("RUNNING")
    assert _set(client, running["id"], "SCHEDULED", name="Late")["status"] == "REJECT"


def test_failed_run_with_retries_left_is_rejected_into_awaiting_retry(client, new_run):
    run = new_run(empirical_policy={"retries": 1})
    _set(client, run["id"], "RUNNING")
    rejected = _set(client, run["id"], "FAILED", message="boom")
    assert rejected["status"] == "REJECT"
    assert rejected["state"]["name"] == "AwaitingRetry" and rejected["details"]["reason"]
    _set(client, run["id"], "RUNNING")
    assert _set(client, run["id"], "FAILED")["status"] == "ACCEPT"


def test_terminal_run_aborts_cancelling_unless_forced(client, new_run):
    run = new_run("RUNNING")
    assert _set(client, run["id"], "COMPLETED")["status"] == "ACCEPT"
    assert _set(client, run["id"], "CANCELLING")["status"] == "ABORT"
    assert _set(client, run["id"], "CANCELLING", force=True)["status"] == "ACCEPT"


def test_cancelling_a_run_without_infrastructure_cancels_it(client, new_run):
    run = new_run("SCHEDULED")
    result = _set(client, run["id"], "CANCELLING")
    assert result["status"] == "REJECT" and result["state"]["type"] == "CANCELLED"
    assert _set(client, run["id"], "PENDING")["status"] == "ABORT"


def test_filter_count_sort_and_paging(client, new_run, flow_id):
    runs = [new_run("FAILED" if i % 2 else "COMPLETED", tags=[f"t{i % 3}"]) for i in range(6)]
    failed = {"flow_runs": {"state": {"type": {"any_": ["FAILED"]}}}}
    found = client.post("/api/flow_runs/filter", json=failed).json()
    assert {r["id"] for r in found} == {r["id"] for r in runs[1::2]}
    assert client.post("/api/flow_runs/count", json=failed).json() == 3
    by_tag = client.post("/api/flow_runs/filter", json={"flow_runs": {"tags": {"all_": ["t0"]}}})
    assert len(by_tag.json()) == 2
    newest = client.post("/api/flow_runs/filter", json={"limit": 2, "offset": 1}).json()
    assert [r["id"] for r in newest] == [runs[4]["id"], runs[3]["id"]]
    by_name = client.post("/api/flow_runs/filter", json={"sort": "NAME_ASC"}).json()
    assert [r["name"] for r in by_name] == sorted(r["name"] for r in runs)
    flow_name = {"flows": {"name": {"any_": ["api-flow"]}}}
    assert client.post("/api/flow_runs/count", json=flow_name).json() == 6
    after = runs[3]["expected_start_time"]
    window = {"flow_runs": {"expected_start_time": {"after_": after}}}
    assert len(client.post("/api/flow_runs/filter", json=window).json()) == 3


def test_a_null_limit_is_the_default_page_and_too_large_a_limit_is_refused(client, new_run):
    for _ in range(3):
        new_run()
    for path in ("/api/flow_runs/filter", "/api/task_runs/filter", "/api/logs/filter"):
        assert client.post(path, json={"limit": None}).status_code == 200, path
    assert len(client.post("/api/flow_runs/filter", json={"limit": None}).json()) == 3
    # Prefect's client sends fields this server does not use: they are ignored
    prefect_body = {"limit": 2, "work_pools": None, "work_pool_queues": None}
    assert len(client.post("/api/flow_runs/filter", json=prefect_body).json()) == 2
    # and "sort": null (Prefect's read_flow_runs with no sort): the default order, newest first
    for path in ("/api/flow_runs/filter", "/api/task_runs/filter", "/api/logs/filter"):
        answer = client.post(path, json={"sort": None, "offset": None, "limit": 2})
        assert answer.status_code == 200, (path, answer.text)
    newest = client.post("/api/flow_runs/filter", json={"sort": None}).json()
    assert [run["created"] for run in newest] == sorted(
        (r["created"] for r in newest), reverse=True
    )
    too_many = client.post("/api/flow_runs/filter", json={"limit": 1001})
    assert too_many.status_code == 422 and "limit" in too_many.text


def test_update_and_delete(client, new_run):
    run = new_run()
    assert client.patch(f"/api/flow_runs/{run['id']}", json={"name": "renamed"}).status_code == 204
    assert client.get(f"/api/flow_runs/{run['id']}").json()["name"] == "renamed"
    null_name = client.patch(f"/api/flow_runs/{run['id']}", json={"name": None})
    assert null_name.status_code == 422 and "name" in null_name.json()["exception_message"]
    assert client.delete(f"/api/flow_runs/{run['id']}").status_code == 204
    assert client.get(f"/api/flow_runs/{run['id']}").status_code == 404
    assert client.delete(f"/api/flow_runs/{run['id']}").status_code == 404


def test_deleting_a_flow_deletes_its_runs(client, flow_id, new_run):
    run = new_run()
    assert client.delete(f"/api/flows/{flow_id}").status_code == 204
    assert client.get(f"/api/flows/{flow_id}").status_code == 404
    assert client.get(f"/api/flow_runs/{run['id']}").status_code == 404


def test_missing_records_are_404_naming_the_id(client, flow_id):
    missing = str(uuid.uuid4())
    for response in (
        client.get(f"/api/flow_runs/{missing}"),
        client.get(f"/api/flows/{missing}"),
        client.get(f"/api/task_runs/{missing}"),
        client.get(f"/api/flow_runs/{missing}/graph"),
        client.post(f"/api/flow_runs/{missing}/set_state", json={"state": {"type": "RUNNING"}}),
        client.post("/api/flow_runs/", json={"flow_id": missing}),
    ):
        assert response.status_code == 404, response.text
        assert missing in response.json()["detail"]
    assert "nope" in client.get("/api/flows/name/nope").json()["detail"]


def test_invalid_input_is_422_naming_the_field(client, flow_id, new_run):
    bad_id = client.get("/api/flow_runs/not-a-uuid")
    assert bad_id.status_code == 422 and "path.id" in bad_id.json()["exception_message"]
    bad_state = client.post(
        f"/api/flow_runs/{new_run()['id']}/set_state", json={"state": {"type": "DONE"}}
    )
    assert bad_state.status_code == 422
    assert "body.state.type" in bad_state.json()["exception_message"]
    assert bad_state.json()["detail"][0]["loc"] == ["body", "state", "type"]
    no_flow = client.post("/api/flow_runs/", json={"parameters": {}})
    assert no_flow.status_code == 422 and "flow_id" in no_flow.json()["exception_message"]
    bad_time = client.post(
        "/api/flow_runs/filter", json={"flow_runs": {"start_time": {"after_": "yesterday"}}}
    )
    assert bad_time.status_code == 422 and "after_" in bad_time.json()["exception_message"]
    too_many = client.post("/api/flow_runs/filter", json={"limit": 10**9})
    assert too_many.status_code == 422 and "limit" in too_many.json()["exception_message"]
    not_json = client.post(
        "/api/flows/", content=b"{", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422


def test_newest_flow_runs_are_listed_through_the_created_index(client, database_url, flow_id):
    engine = database.get_engine(database_url)
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "name": f"r{i}",
            "flow_id": uuid.UUID(flow_id),
            "created": now - dt.timedelta(seconds=i),
            "updated": now,
            "parameters": {},
            "tags": [],
            "empirical_policy": {},
            "state_type": "COMPLETED" if i % 10 else "FAILED",
        }
        for i in range(3000)
    ]
    database.write(engine, lambda conn: conn.execute(tables.flow_run.insert(), rows))
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")

    def plan(flow_run_filter=None, sort=None) -> str:
        query = sa.select(tables.flow_run).where(
            *sql_filters.flow_run_clauses(FlowRunCriteria(flow_runs=flow_run_filter))
        )
        query = query.order_by(*sql_filters.flow_run_order(sort)).limit(100)
        sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
        explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        with engine.connect() as conn:
            return " ".join(r[-1] for r in conn.exec_driver_sql(explain + sql)).upper()

    # SQLite: "SCAN flow_run USING INDEX ix_..."; PostgreSQL: "Index Scan using ix_... on ..."
    assert "USING IX_FLOW_RUN__CREATED_DESC" in plan().replace("INDEX ", "")
    assert "USING IX_FLOW_RUN__EXPECTED_START_TIME_DESC" in plan(
        sort="EXPECTED_START_TIME_DESC"
    ).replace("INDEX ", "")
    failed = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=["FAILED"])))
    assert "INDEX" in plan(failed)
    newest = client.post("/api/flow_runs/filter", json={"limit": 100}).json()
    assert [r["name"] for r in newest[:3]] == ["r0", "r1", "r2"] and len(newest) == 100
