"""Variables and artifacts through both doors (the embedded store and a real server over
HTTP), by the user-facing client and the door itself."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from praefect import exceptions
from praefect.client.orchestration import SyncPrefectClient
from praefect.schemas import artifacts as art
from praefect.schemas import variables as var


def test_variables_are_created_read_filtered_updated_and_deleted(door):
    door.create_variable({"name": "db_host", "value": "10.0.0.5", "tags": ["infra"]})
    door.create_variable({"name": "batch-size", "value": 500})
    door.create_variable({"name": "limits", "value": {"cpu": 2, "regions": ["eu", "us"]}})

    assert door.read_variable_by_name("limits")["value"] == {"cpu": 2, "regions": ["eu", "us"]}
    assert door.read_variable_by_name("nope") is None
    names = [row["name"] for row in door.read_variables()]
    assert names == ["batch-size", "db_host", "limits"]
    tagged = var.VariableQuery(variables={"tags": {"all_": ["infra"]}})
    assert [row["name"] for row in door.read_variables(tagged)] == ["db_host"]
    like = var.VariableCriteria(variables={"name": {"like_": "b"}})
    assert door.count_variables(like) == 2  # batch-size, db_host

    with pytest.raises(exceptions.ObjectAlreadyExists, match="db_host"):
        door.create_variable({"name": "db_host", "value": "other"})
    assert door.update_variable_by_name("db_host", {"value": None, "tags": []})
    row = door.read_variable_by_name("db_host")
    assert row["value"] is None and row["tags"] == []
    assert door.read_variable(row["id"])["name"] == "db_host"
    assert not door.update_variable_by_name("nope", {"value": 1})

    assert door.delete_variable_by_name("db_host")
    assert not door.delete_variable_by_name("db_host")
    assert door.count_variables() == 2


def test_bad_variable_names_and_values_are_refused_naming_them(door):
    with pytest.raises(ValueError, match="'Bad Name'.*lowercase letters"):
        door.create_variable({"name": "Bad Name", "value": 1})
    with pytest.raises(ValueError, match="'datetime' is not JSON"):
        door.create_variable({"name": "when", "value": dt.datetime(2030, 1, 1)})
    with pytest.raises(ValueError, match=r"\['at'\] of type 'set' is not JSON"):
        door.create_variable({"name": "nested", "value": {"at": {1, 2}}})
    with pytest.raises(ValueError, match="5000"):
        door.create_variable({"name": "big", "value": "x" * 6000})
    door.create_variable({"name": "ok", "value": 1})
    with pytest.raises(ValueError, match="'bytes' is not JSON"):
        door.update_variable_by_name("ok", {"value": b"raw"})
    assert door.read_variable_by_name("ok")["value"] == 1  # nothing half-written
    assert door.count_variables() == 1


def test_user_client_variables_have_prefects_names(door):
    client = SyncPrefectClient(door)
    created = client.create_variable(var.VariableCreate(name="region", value="eu", tags=["a"]))
    assert (created.name, created.value, created.tags) == ("region", "eu", ["a"])
    client.update_variable(var.VariableUpdate(name="region", value="us"))
    assert client.read_variable_by_name("region").value == "us"
    assert [v.name for v in client.read_variables(limit=5)] == ["region"]
    client.delete_variable_by_name("region")
    assert client.read_variable_by_name("region") is None
    with pytest.raises(exceptions.ObjectNotFound):
        client.delete_variable_by_name("region")


def test_artifact_versions_the_latest_is_the_newest_and_deleting_it_restores_the_one_before(door):
    first = door.enqueue_artifact({"key": "report", "type": "markdown", "data": "v1"})
    second = door.enqueue_artifact({"key": "report", "type": "markdown", "data": "v2"})
    door.enqueue_artifact({"type": "table", "data": "[]"})  # no key: no versions
    other = door.enqueue_artifact({"key": "other", "type": "progress", "data": 10.0})

    latest = door.read_latest_artifact("report")  # a read sees what was queued before it
    assert latest["latest_id"] == second and latest["data"] == "v2"
    assert door.count_artifacts() == 4
    assert door.count_latest_artifacts() == 2
    keys = art.ArtifactQuery(artifacts={"key": {"any_": ["report"]}})
    assert sorted(row["data"] for row in door.read_artifacts(keys)) == ["v1", "v2"]
    no_key = art.ArtifactCriteria(artifacts={"key": {"exists_": False}})
    assert door.count_artifacts(no_key) == 1
    by_key = art.ArtifactCollectionQuery(sort="KEY_ASC")
    assert [row["key"] for row in door.read_latest_artifacts(by_key)] == ["other", "report"]
    progress = art.ArtifactCollectionCriteria(artifacts={"type": {"any_": ["progress"]}})
    assert door.count_latest_artifacts(progress) == 1

    assert door.update_artifact(other, {"data": 55.0, "description": "halfway"})
    assert door.read_artifact(other)["data"] == 55.0
    assert not door.update_artifact(uuid.uuid4(), {"data": 1})

    assert door.delete_artifact(second)
    assert door.read_latest_artifact("report")["latest_id"] == first
    assert door.delete_artifact(first)
    assert door.read_latest_artifact("report") is None
    assert not door.delete_artifact(first)


def test_artifacts_of_a_flow_run_are_found_by_its_filter(door):
    flow_id = door.ensure_flow("reporting")
    run = door.create_flow_run({"flow_id": flow_id, "name": "nightly"})
    mine = door.enqueue_artifact({"key": "mine", "data": "x", "flow_run_id": run["id"]})
    door.enqueue_artifact({"key": "theirs", "data": "y", "flow_run_id": uuid.uuid4()})
    query = art.ArtifactQuery(flow_runs={"name": {"any_": ["nightly"]}})
    assert [row["id"] for row in door.read_artifacts(query)] == [mine]
    client = SyncPrefectClient(door)
    found = client.read_artifacts(
        artifact_filter=art.ArtifactFilter(
            flow_run_id=art.ArtifactFilterFlowRunId(any_=[run["id"]])
        )
    )
    assert [a.key for a in found] == ["mine"] and found[0].flow_run_id == run["id"]
    latest = client.read_latest_artifacts(
        artifact_filter=art.ArtifactCollectionFilter(
            key=art.ArtifactCollectionFilterKey(any_=["mine"])
        )
    )
    assert latest[0].latest_id == mine


def test_a_bad_artifact_key_is_refused_naming_it(door):
    with pytest.raises(ValueError, match="'Weekly Report'.*lowercase letters"):
        door.enqueue_artifact({"key": "Weekly Report", "data": "x"})
    with pytest.raises(ValueError, match="'under_score'"):
        door.create_artifact({"key": "under_score", "data": "x"})
    assert door.count_artifacts() == 0
