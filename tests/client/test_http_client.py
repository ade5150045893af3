"""The HTTP door: ``PRAEFECT_API_URL`` set, every run is recorded by a real praefect server on a
free loopback port (served from a thread of this process, on its own SQLite database)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.responses import JSONResponse

from praefect import client as praefect_client
from praefect import flow, get_run_logger, task
from praefect.client.embedded import EmbeddedClient
from praefect.client.http import (
    HttpClient,
    PrefectHTTPStatusError,
    ServerUnavailable,
    task_run_items,
)
from praefect.client.orchestration import SyncPrefectClient
from praefect.client.spool import Spool
from praefect.schemas.queries import LogQuery, TaskRunQuery
from praefect.schemas.states import State, now_utc
from praefect.server.app import create_app
from praefect.settings import get_current_settings, temporary_settings
from praefect.testing.utilities import _ServerThread, prefect_test_harness
from tests.conftest import free_port


class Recorder:
    """ASGI middleware in front of the real app: notes every request (method, path,
    Authorization header) and answers the first ones to a path with the statuses queued in
    ``fail[path]``."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[tuple[str, str, str | None]] = []
        self.fail: dict[str, list[tuple[int, dict[str, str]]]] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            auth = dict(scope["headers"]).get(b"authorization")
            self.requests.append((scope["method"], scope["path"], auth and auth.decode()))
            queued = self.fail.get(scope["path"])
            if queued:
                status, headers = queued.pop(0)
                response = JSONResponse({"detail": "try later"}, status, headers=headers)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def count(self, path: str) -> int:
        return sum(1 for _, p, _ in self.requests if p == path)


@pytest.fixture
def server_db(praefect_home: Path) -> str:
    return f"sqlite:///{praefect_home / 'server.db'}"


@pytest.fixture
def recorder(server_db: str) -> Recorder:
    return Recorder(create_app(database_url=server_db))


@pytest.fixture
def server(recorder: Recorder) -> Iterator[_ServerThread]:
    srv = _ServerThread(app=recorder)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def api(server: _ServerThread) -> Iterator[_ServerThread]:
    """``api_url`` points at the server for every thread of the test."""
    updates = {"api_url": server.api_url, "client_retry_seconds": 15.0}
    with temporary_settings(updates, process_wide=True):
        try:
            yield server
        finally:
            praefect_client.drop_orchestration_clients(server.api_url)


@task
def double(x: int) -> int:
    get_run_logger().info("doubling %d", x)
    return 2 * x


def _task_runs_in(db_url: str, flow_run_id: Any) -> list[dict[str, Any]]:
    from praefect.schemas import filters

    store = EmbeddedClient(db_url)
    try:
        f = filters.FlowRunFilter(id=filters.FlowRunFilterId(any_=[flow_run_id]))
        return store.read_task_runs(TaskRunQuery(flow_runs=f))
    finally:
        store.close()


def test_flow_run_with_an_api_url_is_recorded_by_the_server(api, server_db, praefect_home):
    @flow
    def pipeline(n: int) -> int:
        return sum(double(i) for i in range(n))

    state = pipeline(3, return_state=True)
    assert state.result() == 6
    assert isinstance(praefect_client.get_orchestration_client(), HttpClient)

    with praefect_client.get_client(sync_client=True) as client:
        [run] = client.read_flow_runs()
        assert (run.state_name, run.parameters, run.run_count) == ("Completed", {"n": 3}, 1)
        assert [s.name for s in client.read_flow_run_states(run.id)] == [
            "Pending",
            "Running",
            "Completed",
        ]
        task_runs = client.read_task_runs()
        assert len(task_runs) == 3 and all(t.name.startswith("double-") for t in task_runs)
        assert {t.state_name for t in task_runs} == {"Completed"}
        assert {t.flow_run_id for t in task_runs} == {run.id}
        states = client.read_task_run_states(task_runs[0].id)
        assert [s.name for s in states] == ["Pending", "Running", "Completed"]
        messages = [log.message for log in client.read_logs()]
        assert {"doubling 0", "doubling 1", "doubling 2"} <= set(messages)
        assert client.read_flow(run.flow_id).name == "pipeline"

    # on the server's database, not in the local home
    assert len(_task_runs_in(server_db, run.id)) == 3
    assert not (praefect_home / "praefect.db").exists()


def test_user_client_reads_and_orchestrates_over_http(api):
    class Flow:
        name = "user-flow"
        retries = 1
        retry_delay_seconds = 0

    with praefect_client.get_client(sync_client=True) as client:
        run = client.create_flow_run(Flow(), parameters={"x": 1}, tags=["t"])
        assert (run.state_name, run.parameters, run.tags) == ("Pending", {"x": 1}, ["t"])
        assert client.set_flow_run_state(run.id, State("RUNNING")).status.value == "ACCEPT"
        result = client.set_flow_run_state(run.id, State("FAILED"))
        assert result.status.value == "REJECT" and result.state.name == "AwaitingRetry"
        assert client.read_flow_run(run.id).empirical_policy.retries == 1
        assert client.count_flow_runs() == 1
        client.update_flow_run(run.id, name="renamed")
        assert client.read_flow_run(run.id).name == "renamed"
        client.delete_flow_run(run.id)
        with pytest.raises(Exception, match="not found"):
            client.read_flow_run(run.id)
        assert client.api_healthcheck() is None


def test_task_runs_and_logs_go_in_a_few_batches(api, recorder):
    @flow
    def many() -> int:
        return sum(double(i) for i in range(200))

    assert many() == 39800
    praefect_client.get_orchestration_client().flush()
    task_batches = recorder.count("/api/task_runs/batch")
    log_batches = recorder.count("/api/logs/")
    # 200 tasks make 600 task-run records and 400+ logs
    assert 1 <= task_batches <= 40 and 1 <= log_batches <= 40
    with praefect_client.get_client(sync_client=True) as client:
        assert client.count_task_runs() == 200


def test_a_batch_carries_each_task_runs_row_once_with_its_last_item():
    a, b = {"id": uuid.uuid4(), "name": "a"}, {"id": uuid.uuid4(), "name": "b"}
    pending, running, done = State("PENDING"), State("RUNNING"), State("COMPLETED")
    items = task_run_items([(a, pending), (b, pending), (a, running), (a, done), (b, None)])
    assert items == [
        {"task_run_id": a["id"], "state": pending},
        {"task_run_id": b["id"], "state": pending},
        {"task_run_id": a["id"], "state": running},
        {"row": a, "state": done},
        {"row": b, "state": None},
    ]
    # halves of a batch (sent apart when the server refuses the whole) carry their own rows
    assert task_run_items([(a, pending), (b, pending)]) == [
        {"row": a, "state": pending},
        {"row": b, "state": pending},
    ]


def test_the_clients_batches_take_the_servers_fast_path(api, monkeypatch):
    from praefect.server.api import task_runs as task_runs_api

    general = []
    validated = task_runs_api._write_batch_validated
    monkeypatch.setattr(
        task_runs_api,
        "_write_batch_validated",
        lambda body, engine: general.append(body) or validated(body, engine),
    )

    @task(retries=1, retry_delay_seconds=0, tags=["t"])
    def flaky(x: int, seen: list[int]) -> int:
        seen.append(x)
        if seen.count(x) == 1:
            raise ValueError("first try fails")
        return x

    @flow
    def shapes() -> int:
        seen: list[int] = []
        first = double(1)
        return flaky(first, seen) + double.with_options(name="renamed")(first)

    assert shapes() == 6
    praefect_client.get_orchestration_client().flush()
    assert general == []  # every batch went the fast way
    with praefect_client.get_client(sync_client=True) as client:
        runs = {t.name.split("-")[0]: t for t in client.read_task_runs()}
        assert runs["flaky"].run_count == 2 and runs["flaky"].tags == ["t"]
        states = client.read_task_run_states(runs["flaky"].id)
        assert [s.name for s in states] == [
            "Pending",
            "Running",
            "AwaitingRetry",
            "Retrying",
            "Completed",
        ]


def test_server_down_mid_flow_then_back_loses_nothing(api, caplog):
    server = api

    @flow
    def outage() -> str:
        for i in range(3):
            double(i)
        praefect_client.get_orchestration_client().flush()
        server.stop()  # the server goes away while the flow runs
        for i in range(3, 10):
            double(i)
        # and comes back on the same port and database a moment later
        threading.Timer(1.0, server.start).start()
        return "done"

    caplog.set_level(logging.WARNING, logger="praefect.client")
    # batches give up on the server after 0.2 s (default 1 s), well before it is back
    praefect_client.get_orchestration_client().writer.send_budget = 0.2
    state = outage(return_state=True)  # the final state waits for the server to be back
    assert state.result() == "done"

    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1
    assert server.api_url in warnings[0].getMessage()

    with praefect_client.get_client(sync_client=True) as client:
        deadline = time.monotonic() + 10
        while client.count_task_runs() < 10 and time.monotonic() < deadline:
            time.sleep(0.1)
        task_runs = client.read_task_runs()
        assert len(task_runs) == 10
        assert {t.state_name for t in task_runs} == {"Completed"}
        logs = {log.message for log in client.read_logs()}
        assert {f"doubling {i}" for i in range(10)} <= logs
        [run] = client.read_flow_runs()
        assert run.state_name == "Completed"
    assert praefect_client.get_orchestration_client().spool.pending() == 0


def test_503_and_429_are_retried_with_retry_after(server, recorder):
    recorder.fail["/api/flows/"] = [(503, {}), (429, {"Retry-After": "0.3"})]
    recorder.fail["/api/logs/"] = [(503, {}), (502, {})]
    client = HttpClient(server.api_url, retry_seconds=5)
    try:
        start = time.monotonic()
        flow_id = client.ensure_flow("retried")
        assert time.monotonic() - start >= 0.3  # waited as the server asked
        assert recorder.count("/api/flows/") == 3
        log = {"name": "x", "level": 20, "message": "kept", "timestamp": now_utc()}
        client.enqueue_logs([log])
        client.flush()
        assert recorder.count("/api/logs/") == 3
        assert client.spool.pending() == 0
        assert [row["message"] for row in client.read_logs()] == ["kept"]
        assert client.read_flow(flow_id)["name"] == "retried"
    finally:
        client.close()


def test_unreachable_server_fails_a_flow_run_call_with_an_error_naming_the_url(praefect_home):
    dead = _ServerThread()
    dead.start()
    url = dead.api_url
    dead.stop()  # a port where nothing listens any more
    client = HttpClient(url, home=praefect_home, retry_seconds=0.5)
    try:
        start = time.monotonic()
        with pytest.raises(ServerUnavailable, match=url.replace(".", r"\.")) as caught:
            client.create_flow_run({"id": uuid.uuid4(), "name": "r", "flow_id": uuid.uuid4()})
        assert time.monotonic() - start < 30  # its 0.5 s budget, not the default 90 s
        assert "praefect server start" in str(caught.value)
    finally:
        client.close()


def test_a_server_that_does_not_answer_is_said_once_while_the_client_keeps_trying(
    praefect_home, caplog: pytest.LogCaptureFixture
):
    from tests.conftest import free_port

    url = f"http://127.0.0.1:{free_port()}/api"
    client = HttpClient(url, home=praefect_home, retry_seconds=3.0)
    try:
        with caplog.at_level("WARNING", logger="praefect.client"):
            for _ in range(2):
                with pytest.raises(ServerUnavailable):
                    client.ensure_flow("unheard")
    finally:
        client.close()
    said = [r.getMessage() for r in caplog.records if "does not answer" in r.getMessage()]
    assert said == [
        f"The praefect server at {url} does not answer (ConnectError: [Errno 111] Connection "
        "refused); retrying for up to 3 s."
    ]


def test_api_key_or_basic_auth_is_sent(server_db):
    protected = Recorder(
        create_app(
            get_current_settings().model_copy(
                {"server_api_keys": "s3cret", "server_api_auth_string": "ann:pw"}
            ),
            database_url=server_db,
        )
    )
    server = _ServerThread(app=protected)
    server.start()
    try:
        with temporary_settings({"api_url": server.api_url, "api_key": "s3cret"}):
            keyed = praefect_client.get_orchestration_client()
            keyed.ensure_flow("with-key")
        assert protected.requests[-1][2] == "Bearer s3cret"
        with temporary_settings({"api_url": server.api_url, "api_auth_string": "ann:pw"}):
            basic = praefect_client.get_orchestration_client()
            assert basic is not keyed
            basic.ensure_flow("with-basic-auth")
        assert protected.requests[-1][2] == "Basic " + "YW5uOnB3"  # base64("ann:pw")
        anonymous = HttpClient(server.api_url)
        with pytest.raises(PrefectHTTPStatusError, match="401"):
            anonymous.ensure_flow("refused")
        anonymous.close()
    finally:
        praefect_client.drop_orchestration_clients(server.api_url)
        server.stop()


def test_spooled_records_outlive_the_process_and_reach_the_server_later(
    server, praefect_home, caplog
):
    url = server.api_url
    server.stop()
    first = HttpClient(url, home=praefect_home, retry_seconds=0.5)
    first.enqueue_logs(
        [{"name": "x", "level": 20, "message": f"m{i}", "timestamp": now_utc()} for i in range(3)]
    )
    first.flush()
    assert first.spool.pending() == 1
    first.close()  # gives up: the batch stays on disk for the next process
    # as spooled, or still claimed by an attempt that outlived close()'s wait on a busy machine
    # (a claim of a dead process is taken over by the next one)
    assert list(first.spool.directory.glob("*.batch*"))

    server.start()
    second = HttpClient(url, home=praefect_home)  # finds the spool and delivers it
    try:
        deadline = time.monotonic() + 10
        while len(second.read_logs(LogQuery())) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sorted(row["message"] for row in second.read_logs(LogQuery())) == ["m0", "m1", "m2"]
        assert not list(second.spool.directory.glob("*.batch*"))
    finally:
        second.close()


def test_spool_is_bounded_and_a_batch_is_claimed_once(tmp_path):
    spool = Spool(tmp_path / "spool", max_bytes=200)
    assert spool.put("/logs/", b"x" * 100, 1)
    assert not spool.put("/logs/", b"y" * 100, 1)  # past the bound: refused, not written
    other = Spool(tmp_path / "spool", max_bytes=200)
    claimed = spool.claim()
    assert claimed is not None and claimed.body == b"x" * 100 and claimed.own
    assert other.claim() is None  # taken by the first
    spool.release(claimed)
    again = other.claim()
    assert again is not None and not again.own
    other.done(again)
    assert spool.claim() is None


def test_harness_serves_the_api_and_records_runs_over_http():
    start = time.perf_counter()
    with prefect_test_harness():
        started = time.perf_counter() - start
        api_url = get_current_settings().api_url
        assert api_url and api_url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{api_url}/health").json() is True

        @flow
        def harnessed() -> int:
            return double(21)

        assert harnessed() == 42
        with praefect_client.get_client(sync_client=True) as client:
            [run] = client.read_flow_runs()
            assert run.state_name == "Completed"
            assert len(client.read_task_runs()) == 1
    assert started < 1.0
    assert get_current_settings().api_url is None
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{api_url}/health")


def test_a_refused_record_costs_only_itself_and_reads_page_past_the_server_limit(server):
    client = HttpClient(server.api_url)
    try:
        logs = [
            {"name": "x", "level": 20, "message": f"m{i}", "timestamp": now_utc()}
            for i in range(1205)
        ]
        logs[700]["level"] = 5000  # the server refuses this one (422)
        client.enqueue_logs(logs)
        client.flush()
        assert client.writer.failed_items == 1
        stored = client.read_logs()  # more than the server's largest page (1000)
        assert len(stored) == 1204 and "m700" not in {row["message"] for row in stored}
        assert len(client.read_logs(LogQuery(limit=1100, offset=10))) == 1100
    finally:
        client.close()


def test_health_check_of_a_server_that_is_down_answers_at_once(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/api"
    client = HttpClient(url, home=tmp_path, retry_seconds=90.0)
    try:
        start = time.monotonic()
        problem = SyncPrefectClient(client).api_healthcheck()
        elapsed = time.monotonic() - start
    finally:
        client.close()
    assert isinstance(problem, ServerUnavailable) and url in str(problem)
    # not the 90 s of retries (a generous bound: a loaded machine is slow, a retry loop slower)
    assert elapsed < 30, f"the health check waited {elapsed:.1f} s for a server that is down"
