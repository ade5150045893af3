import uuid

import pytest

from praefect import client as praefect_client
from praefect import exceptions
from praefect.client.orchestration import PrefectClient, SyncPrefectClient
from praefect.client.schemas import filters, objects, sorting
from praefect.schemas.states import State, StateType
from praefect.settings import temporary_settings


class Flow:
    name = "user-flow"
    retries = 1
    retry_delay_seconds = 0


def test_orchestration_client_is_cached_per_database_url(tmp_path):
    first = praefect_client.get_orchestration_client()
    assert praefect_client.get_orchestration_client() is first
    with temporary_settings({"database_url": f"sqlite:///{tmp_path}/other.db"}):
        other = praefect_client.get_orchestration_client()
        assert other is not first
    assert praefect_client.get_orchestration_client() is first


def test_api_url_gives_an_http_client_cached_per_api_url():
    from praefect.client.http import HttpClient

    with temporary_settings({"api_url": "http://127.0.0.1:4200/api"}):
        http = praefect_client.get_orchestration_client()
        assert isinstance(http, HttpClient) and http.url == "http://127.0.0.1:4200/api"
        assert praefect_client.get_orchestration_client() is http
    with temporary_settings({"api_url": "http://127.0.0.1:4201/api"}):
        assert praefect_client.get_orchestration_client() is not http
    praefect_client.drop_orchestration_clients("http://127.0.0.1:4200/api")
    praefect_client.drop_orchestration_clients("http://127.0.0.1:4201/api")


def test_sync_client_creates_reads_and_orchestrates_flow_runs(door):
    with SyncPrefectClient(door) as client:
        run = client.create_flow_run(Flow(), parameters={"x": 1}, tags=["t"])
        assert isinstance(run, objects.FlowRun)
        assert (run.state_type, run.parameters, run.tags) == (StateType.PENDING, {"x": 1}, ["t"])
        assert client.set_flow_run_state(run.id, State("RUNNING")).status.value == "ACCEPT"
        result = client.set_flow_run_state(run.id, State("FAILED"))
        assert result.status.value == "REJECT" and result.state.name == "AwaitingRetry"
        read = client.read_flow_run(run.id)
        assert read.run_count == 1 and read.empirical_policy.retries == 1
        assert read.flow_id == client.read_flow_by_name("user-flow").id
        states = client.read_flow_run_states(run.id)
        assert [s.name for s in states] == ["Pending", "Running", "AwaitingRetry"]
        assert client.count_flow_runs() == 1
        assert client.hello() and client.api_healthcheck() is None


def test_sync_client_reads_task_runs_and_logs_right_after_they_are_queued(door):
    engine_client = door
    with SyncPrefectClient(door) as client:
        run = client.create_flow_run(Flow())
        task_id = uuid.uuid4()
        row = {"id": task_id, "name": "t", "flow_run_id": run.id, "task_key": "t"}
        row["task_inputs"] = {"x": [{"input_type": "task_run", "id": str(uuid.uuid4())}]}
        engine_client.enqueue_task_run(row, State("COMPLETED"))
        logs = [
            {"name": "a", "level": level, "message": f"m{level}", "flow_run_id": run.id}
            for level in (10, 20, 30)
        ]
        for i, log in enumerate(logs):
            log["timestamp"] = run.created.replace(microsecond=i)
        engine_client.enqueue_logs(logs)
        task = client.read_task_run(task_id)
        assert task.state.is_completed() and task.task_inputs["x"][0].input_type == "task_run"
        log_filter = filters.LogFilter(
            flow_run_id=filters.LogFilterFlowRunId(any_=[run.id]),
            level=filters.LogFilterLevel(ge_=20),
        )
        assert [log.message for log in client.read_logs(log_filter=log_filter)] == ["m20", "m30"]
        newest = client.read_logs(log_filter=log_filter, sort=sorting.LogSort.TIMESTAMP_DESC)
        assert newest[0].message == "m30"
        by_flow_run = filters.FlowRunFilter(id=filters.FlowRunFilterId(any_=[run.id]))
        assert [t.id for t in client.read_task_runs(flow_run_filter=by_flow_run)] == [task_id]
        client.delete_flow_run(run.id)
        assert client.read_logs(log_filter=log_filter) == []


async def test_async_client_has_the_same_methods_awaited(door):
    async with PrefectClient(door) as client:
        run = await client.create_flow_run(Flow(), state=State("SCHEDULED"))
        result = await client.set_flow_run_state(run.id, State("PENDING"))
        assert result.status.value == "ACCEPT"
        runs = await client.read_flow_runs(sort=sorting.FlowRunSort.EXPECTED_START_TIME_DESC)
        assert [r.id for r in runs] == [run.id]
        with pytest.raises(Exception, match="not found"):
            await client.read_flow_run(uuid.uuid4())


def test_creating_a_flow_run_again_with_its_id_or_idempotency_key_returns_it(door):
    flow_id = door.ensure_flow("again")
    run_id = uuid.uuid4()
    row = {"id": run_id, "flow_id": flow_id, "name": "first", "idempotency_key": "k1"}
    assert door.create_flow_run(row)["id"] == run_id
    assert door.create_flow_run({**row, "name": "second"})["name"] == "first"
    same_key = door.create_flow_run({"flow_id": flow_id, "idempotency_key": "k1"})
    assert same_key["id"] == run_id
    other_key = door.create_flow_run({"flow_id": flow_id, "idempotency_key": "k2"})
    assert other_key["id"] != run_id and other_key["state"].type is StateType.PENDING
    assert SyncPrefectClient(door).count_flow_runs() == 2


def test_creating_a_flow_run_of_an_unknown_flow_is_refused(door):
    with pytest.raises(exceptions.FlowNotFound, match="flow_id"):
        door.create_flow_run({"flow_id": uuid.uuid4(), "name": "orphan"})
