"""What Prefect 3.9.1's own client sends and reads, over REST: the versions it checks, the
filter fields it sends (every one accepted and honoured), flow-run labels and retry delays, and
the small routes it calls around its work."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

from praefect.schemas.objects import FlowRunPolicy
from praefect.schemas.versions import PREFECT_VERSION


def _ids(answer):
    assert answer.status_code == 200, answer.text
    return {row["id"] for row in answer.json()}


def test_admin_version_is_the_prefect_version_served_and_praefects_own_is_elsewhere(client):
    assert client.get("/api/admin/version").json() == PREFECT_VERSION
    assert PREFECT_VERSION.split(".")[0] == "3"  # Prefect's client compares the major version
    assert client.get("/api/version").json() == "0.8.4"
    own = client.get("/api/admin/praefect-version").json()
    assert own and own != PREFECT_VERSION


def test_the_small_routes_prefects_client_calls(client):
    assert client.get("/api/hello").json() == "👋"
    assert client.get("/api/ready").json() == {"message": "OK"}
    refused = client.get("/api/csrf-token", params={"client": "c1"})
    assert refused.status_code == 422 and "CSRF protection is disabled." in refused.text
    assert client.get("/api/admin/storage").json() == {"default_result_storage_block_id": None}
    workers = client.get("/api/collections/views/aggregate-worker-metadata").json()
    process = workers["prefect"]["process"]
    assert process["type"] == "process"
    assert process["default_base_job_configuration"]["job_configuration"]["command"]
    missing = client.get("/api/collections/views/demo-flows")
    assert missing.status_code == 404 and "aggregate-worker-metadata" in missing.text


def test_a_flow_runs_retry_delay_is_one_whole_number_of_seconds_on_the_wire(new_run, client):
    run = new_run(empirical_policy={"retries": 3, "retry_delay": [1.6, 30.0]})
    read = client.get(f"/api/flow_runs/{run['id']}").json()
    assert read["empirical_policy"]["retry_delay"] == 2
    listed = client.post("/api/flow_runs/filter", json={}).json()
    assert listed[0]["empirical_policy"]["retry_delay"] == 2
    assert FlowRunPolicy.model_validate({"retry_delay": []}).retry_delay is None


def test_labels_are_merged_into_a_flow_runs_labels(new_run, client):
    run = new_run(labels={"team": "data"})
    assert run["labels"] == {"team": "data"}
    patched = client.patch(
        f"/api/flow_runs/{run['id']}/labels", json={"prefect.worker.type": "process"}
    )
    assert patched.status_code == 204
    read = client.get(f"/api/flow_runs/{run['id']}").json()
    assert read["labels"] == {"team": "data", "prefect.worker.type": "process"}
    listed = client.post("/api/flow_runs/filter", json={}).json()
    assert listed[0]["labels"] == read["labels"]
    missing = client.patch(f"/api/flow_runs/{uuid.uuid4()}/labels", json={"a": "b"})
    assert missing.status_code == 404


def test_flow_run_filters_prefects_client_sends(new_run, client):
    old = new_run(flow_version="1.0", tags=["a"])
    new = new_run(flow_version="2.0", tags=["b"])
    bare = new_run()

    def runs(flow_runs):
        return _ids(client.post("/api/flow_runs/filter", json={"flow_runs": flow_runs}))

    assert runs({"flow_version": {"any_": ["2.0"]}}) == {new["id"]}
    tags_either = {"tags": {"operator": "or_", "all_": ["a"], "is_null_": True}}
    assert runs(tags_either) == {old["id"], bare["id"]}
    assert runs({"created_by": {"is_null_": True}}) == {old["id"], new["id"], bare["id"]}
    assert runs({"created_by": {"type_": ["DEPLOYMENT"]}}) == set()
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    assert runs({"next_scheduled_start_time": {"after_": soon}}) == set()
    deployment_or_no_queue = {
        "deployment_id": {"operator": "or_", "any_": [str(uuid.uuid4())], "is_null_": True}
    }
    assert runs(deployment_or_no_queue) == {old["id"], new["id"], bare["id"]}
    # every field of Prefect's client FlowRunFilter, all null, as model_dump() sends them
    nulls = dict.fromkeys(
        ["flow_version", "next_scheduled_start_time", "created_by", "parent_flow_run_id"]
    )
    assert runs(nulls) == {old["id"], new["id"], bare["id"]}


def test_task_run_end_time_and_subflow_runs_filters(new_run, client):
    parent = new_run()
    ended = client.post(
        "/api/task_runs/",
        json={
            "name": "t",
            "task_key": "t",
            "flow_run_id": parent["id"],
            "state": {"type": "COMPLETED"},
            "end_time": dt.datetime.now(dt.UTC).isoformat(),
        },
    ).json()
    stands_for_subflow = client.post(
        "/api/task_runs/", json={"name": "sub", "task_key": "sub", "flow_run_id": parent["id"]}
    ).json()
    new_run(parent_task_run_id=stands_for_subflow["id"])

    def task_runs(task_runs):
        body = {"task_runs": task_runs, "sort": None, "limit": None, "offset": None}
        return _ids(client.post("/api/task_runs/filter", json=body))

    assert task_runs({"end_time": {"is_null_": False}}) == {ended["id"]}
    assert task_runs({"subflow_runs": {"exists_": True}}) == {stands_for_subflow["id"]}
    assert task_runs({"subflow_runs": {"exists_": False}, "end_time": None}) == {ended["id"]}


def test_log_text_search_any_required_excluded_and_phrases(new_run, client):
    run = new_run()
    now = dt.datetime.now(dt.UTC).isoformat()
    messages = ["Connection reset by peer", "retrying in 5s", "ERROR in db write", "all good"]
    client.post(
        "/api/logs/",
        json=[
            {"name": "etl", "level": 20, "message": m, "timestamp": now, "flow_run_id": run["id"]}
            for m in messages
        ],
    )

    def found(query):
        body = {"logs": {"text": {"query": query}}}
        return sorted(log["message"] for log in client.post("/api/logs/filter", json=body).json())

    assert found("error retrying") == ["ERROR in db write", "retrying in 5s"]
    assert found("+db") == ["ERROR in db write"]
    assert found("e -error -good") == ["Connection reset by peer", "retrying in 5s"]
    assert found('"reset by"') == ["Connection reset by peer"]
    assert found("etl") == sorted(messages)  # the logger's name is searched too
    too_long = client.post("/api/logs/filter", json={"logs": {"text": {"query": "x" * 201}}})
    assert too_long.status_code == 422 and "query" in too_long.text


def test_deployment_filters_by_concurrency_limit_and_excluded_ids(client, flow_id):
    def deploy(name, limit):
        body = {"name": name, "flow_id": flow_id, "concurrency_limit": limit}
        answer = client.post("/api/deployments/", json=body)
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    one, five, unlimited = deploy("one", 1), deploy("five", 5), deploy("unlimited", None)

    def deployments(filter_, sort=None):
        body = {"deployments": filter_, "sort": sort}
        answer = client.post("/api/deployments/filter", json=body)
        assert answer.status_code == 200, answer.text
        return [row["id"] for row in answer.json()]

    assert deployments({"concurrency_limit": {"ge_": 2}}) == [five]
    assert deployments({"concurrency_limit": {"is_null_": True}}) == [unlimited]
    assert set(deployments({"id": {"not_any_": [one]}})) == {five, unlimited}
    assert deployments({"concurrency_limit": {"le_": 10}}, "CONCURRENCY_LIMIT_DESC") == [five, one]


def test_work_queues_of_every_pool_and_block_types_filter(client):
    for name in ("pool-a", "pool-b"):
        assert client.post("/api/work_pools/", json={"name": name, "type": "process"}).is_success
    queues = client.post("/api/work_queues/filter", json={"limit": None}).json()
    assert sorted(q["work_pool_name"] for q in queues) == ["pool-a", "pool-b"]
    for slug in ("secret", "json"):
        client.post("/api/block_types/", json={"name": slug.title(), "slug": slug})
    slugs = {"block_types": {"slug": {"any_": ["json"]}}, "limit": None, "offset": None}
    assert [t["slug"] for t in client.post("/api/block_types/filter", json=slugs).json()] == [
        "json"
    ]
    named = {"block_types": {"name": {"like_": "SEC"}}}
    assert [t["slug"] for t in client.post("/api/block_types/filter", json=named).json()] == [
        "secret"
    ]


def test_block_document_filters_and_the_implicit_schema_id(client):
    kind = client.post("/api/block_types/", json={"name": "Demo", "slug": "demo"}).json()
    for name, anonymous in (("alpha", False), ("beta", False), ("anon", True)):
        client.post(
            "/api/block_documents/",
            json={"name": name, "block_type_id": kind["id"], "is_anonymous": anonymous},
        )

    def names(body):
        answer = client.post("/api/block_documents/filter", json=body)
        assert answer.status_code == 200, answer.text
        return [document["name"] for document in answer.json()]

    assert names({"limit": None, "offset": None}) == ["alpha", "beta"]
    assert names({"sort": "NAME_DESC"}) == ["beta", "alpha"]
    assert names({"block_documents": {"is_anonymous": {"eq_": True}}}) == ["anon"]
    assert names({"block_documents": {"name": {"like_": "ph"}}}) == ["alpha"]
    assert names({"block_types": {"slug": {"any_": ["other"]}}}) == []
    document = client.post("/api/block_documents/filter", json={}).json()[0]
    schema = {"block_schemas": {"id": {"any_": [document["block_schema_id"]]}}}
    assert names(schema) == ["alpha", "beta"]
    assert names({"block_schemas": {"block_capabilities": {"all_": ["read-path"]}}}) == []


def test_a_filter_field_prefect_does_not_have_is_refused_with_its_name(client):
    answer = client.post("/api/flow_runs/filter", json={"flow_runs": {"colour": {"any_": ["x"]}}})
    assert answer.status_code == 422 and "colour" in answer.text


def test_the_pool_queue_and_deployment_parts_of_prefects_filter_bodies(client, flow_id):
    other_flow = client.post("/api/flows/", json={"name": "other-flow"}).json()["id"]
    for pool in ("pool-a", "pool-b"):
        assert client.post("/api/work_pools/", json={"name": pool, "type": "process"}).is_success
    ids = {}
    for name, flow, pool in (("in-a", flow_id, "pool-a"), ("in-b", other_flow, "pool-b")):
        body = {"name": name, "flow_id": flow, "work_pool_name": pool}
        ids[name] = client.post("/api/deployments/", json=body).json()["id"]
    runs = {
        name: client.post(f"/api/deployments/{deployment}/create_flow_run", json={}).json()["id"]
        for name, deployment in ids.items()
    }
    client.post("/api/task_runs/", json={"name": "t", "task_key": "t", "flow_run_id": runs["in-b"]})
    pool_b = {"name": {"any_": ["pool-b"]}}

    def ids_of(route, body):
        answer = client.post(f"/api/{route}/filter", json=body)
        assert answer.status_code == 200, answer.text
        return {row["id"] for row in answer.json()}

    assert ids_of("flow_runs", {"work_pools": pool_b}) == {runs["in-b"]}
    queue_a = {"name": {"any_": ["default"]}}
    assert ids_of("flow_runs", {"work_pool_queues": queue_a}) == set(runs.values())
    named = {"deployments": {"name": {"like_": "in-a"}}}
    assert ids_of("flow_runs", named) == {runs["in-a"]}
    assert ids_of("flows", {"work_pools": pool_b}) == {other_flow}
    assert ids_of("flows", named) == {flow_id}
    assert len(ids_of("task_runs", {"deployments": {"id": {"any_": [ids["in-b"]]}}})) == 1
    assert ids_of("task_runs", {"deployments": {"id": {"any_": [ids["in-a"]]}}}) == set()
    assert ids_of("deployments", {"work_pools": {"type": {"any_": ["process"]}}}) == set(
        ids.values()
    )
    assert ids_of("deployments", {"work_pool_queues": {"name": {"startswith_": ["def"]}}}) == set(
        ids.values()
    )
    counted = client.post("/api/flow_runs/count", json={"work_pools": pool_b}).json()
    assert counted == 1


def test_states_by_id_flow_tags_flow_order_and_task_run_rename_and_delete(new_run, client):
    run = new_run("PENDING")
    state = client.get(f"/api/flow_run_states/{run['state']['id']}").json()
    assert state["type"] == "PENDING" and state["id"] == run["state"]["id"]
    assert client.get(f"/api/flow_run_states/{uuid.uuid4()}").status_code == 404
    flow_id = run["flow_id"]
    assert client.patch(f"/api/flows/{flow_id}", json={"tags": ["nightly"]}).status_code == 204
    assert client.get(f"/api/flows/{flow_id}").json()["tags"] == ["nightly"]
    assert client.patch(f"/api/flows/{uuid.uuid4()}", json={"tags": []}).status_code == 404
    client.post("/api/flows/", json={"name": "zzz-later"})
    newest = client.post("/api/flows/filter", json={"sort": "CREATED_DESC"}).json()
    assert newest[0]["name"] == "zzz-later"
    by_name = client.post("/api/flows/filter", json={"sort": "NAME_DESC"}).json()
    assert [f["name"] for f in by_name] == sorted((f["name"] for f in by_name), reverse=True)

    task_run = client.post(
        "/api/task_runs/",
        json={"name": "t", "task_key": "t", "flow_run_id": run["id"], "state": {"type": "RUNNING"}},
    ).json()
    task_state = client.get(f"/api/task_run_states/{task_run['state']['id']}").json()
    assert task_state["type"] == "RUNNING"
    renamed = client.patch(f"/api/task_runs/{task_run['id']}", json={"name": "load-1"})
    assert renamed.status_code == 204
    assert client.get(f"/api/task_runs/{task_run['id']}").json()["name"] == "load-1"
    assert client.delete(f"/api/task_runs/{task_run['id']}").status_code == 204
    assert client.get(f"/api/task_runs/{task_run['id']}").status_code == 404
    assert client.get(f"/api/task_run_states/{task_run['state']['id']}").status_code == 404
    assert client.delete(f"/api/task_runs/{task_run['id']}").status_code == 404


def test_block_type_by_id_delete_and_document_count(client):
    kind = client.post("/api/block_types/", json={"name": "Counted", "slug": "counted"}).json()
    assert client.get(f"/api/block_types/{kind['id']}").json()["slug"] == "counted"
    for name in ("one", "two"):
        client.post("/api/block_documents/", json={"name": name, "block_type_id": kind["id"]})
    assert client.post("/api/block_documents/count", json={}).json() == 2
    one = {"block_documents": {"name": {"any_": ["one"]}}}
    assert client.post("/api/block_documents/count", json=one).json() == 1
    assert client.delete(f"/api/block_types/{kind['id']}").status_code == 204
    assert client.get(f"/api/block_types/{kind['id']}").status_code == 404
    assert client.post("/api/block_documents/count", json={}).json() == 0


def test_paginate_answers_a_page_with_the_count_and_number_of_pages(new_run, client):
    made = [new_run()["id"] for _ in range(5)]
    first = client.post("/api/flow_runs/paginate", json={"limit": 2, "page": None}).json()
    assert (first["count"], first["limit"], first["pages"], first["page"]) == (5, 2, 3, 1)
    last = client.post("/api/flow_runs/paginate", json={"limit": 2, "page": 3}).json()
    pages = [run["id"] for run in first["results"]] + [run["id"] for run in last["results"]]
    assert len(last["results"]) == 1 and set(pages) <= set(made) and len(set(pages)) == 3
    flows = client.post("/api/flows/paginate", json={}).json()
    assert flows["count"] == 1 and flows["results"][0]["name"] == "api-flow"
    assert client.post("/api/task_runs/paginate", json={}).json()["results"] == []
    assert client.post("/api/deployments/paginate", json={"page": 2}).json()["page"] == 2
    refused = client.post("/api/flow_runs/paginate", json={"page": 0})
    assert refused.status_code == 422 and "page" in refused.text


def test_bulk_delete_deletes_at_most_limit_matching_records(new_run, client, flow_id):
    tagged = [new_run(tags=["old"])["id"] for _ in range(3)]
    kept = new_run()["id"]
    body = {"flow_runs": {"tags": {"all_": ["old"]}}, "limit": 2}
    first = client.post("/api/flow_runs/bulk_delete", json=body).json()["deleted"]
    assert first == tagged[:2]
    second = client.post("/api/flow_runs/bulk_delete", json=body).json()["deleted"]
    assert second == tagged[2:]
    assert client.get(f"/api/flow_runs/{kept}").status_code == 200
    too_many = client.post("/api/flow_runs/bulk_delete", json={"limit": 51})
    assert too_many.status_code == 422 and "limit" in too_many.text
    deployment = client.post("/api/deployments/", json={"name": "d", "flow_id": flow_id}).json()
    by_name = {"deployments": {"name": {"any_": ["d"]}}}
    assert client.post("/api/deployments/bulk_delete", json=by_name).json() == {
        "deleted": [deployment["id"]]
    }
    by_id = {"flows": {"id": {"any_": [flow_id]}}}
    assert client.post("/api/flows/bulk_delete", json=by_id).json() == {"deleted": [flow_id]}
    assert client.get(f"/api/flow_runs/{kept}").status_code == 404  # with the flow


def test_a_flow_runs_logs_download_as_csv(new_run, client):
    run = new_run()
    at = "2026-03-04T05:06:07.000008+00:00"
    lines = [
        {"name": "etl", "level": 20, "message": 'a "quoted", line', "timestamp": at},
        {"name": "etl", "level": 40, "message": "second", "timestamp": at.replace("07.", "08.")},
    ]
    client.post("/api/logs/", json=[{**line, "flow_run_id": run["id"]} for line in lines])
    answer = client.get(f"/api/flow_runs/{run['id']}/logs/download")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert f"{run['name']}-logs.csv" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["timestamp", "level", "flow_run_id", "task_run_id", "message"]
    assert [row[4] for row in rows[1:]] == ['a "quoted", line', "second"]
    assert rows[1][:4] == ["2026-03-04 05:06:07.000008+00:00", "20", run["id"], ""]
    assert client.get(f"/api/flow_runs/{uuid.uuid4()}/logs/download").status_code == 404


def test_bulk_set_state_work_queue_check_and_block_capabilities(new_run, client, flow_id):
    late = [new_run("SCHEDULED", tags=["late"])["id"] for _ in range(2)]
    running = new_run("RUNNING", tags=["late"])["id"]
    body = {"flow_runs": {"tags": {"all_": ["late"]}}, "state": {"type": "CANCELLED"}}
    answer = client.post("/api/flow_runs/bulk_set_state", json=body)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["flow_run_id"] for r in results] == [*late, running]
    assert {r["status"] for r in results} == {"ACCEPT"}
    for run_id in [*late, running]:
        assert client.get(f"/api/flow_runs/{run_id}").json()["state_type"] == "CANCELLED"
    bad = client.post("/api/flow_runs/bulk_set_state", json={"state": {"type": "DONE"}})
    assert bad.status_code == 422 and "type" in bad.text

    client.post("/api/work_pools/", json={"name": "pool", "type": "process"})
    body = {"name": "d", "flow_id": flow_id, "work_pool_name": "pool"}
    deployment = client.post("/api/deployments/", json=body).json()
    queues = client.get(f"/api/deployments/{deployment['id']}/work_queue_check").json()
    assert [(q["name"], q["work_pool_name"]) for q in queues] == [("default", "pool")]
    missing = client.get(f"/api/deployments/{uuid.uuid4()}/work_queue_check")
    assert missing.status_code == 404
    assert client.get("/api/block_capabilities/").json() == []
