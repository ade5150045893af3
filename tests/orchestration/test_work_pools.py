"""Work pools, queues, workers and the Scheduled runs a worker is given (SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as _dt
import uuid

import pytest

from praefect import database, exceptions, orchestration
from praefect.database import tables
from praefect.schemas.queries import WorkerQuery, WorkPoolQuery
from praefect.schemas.states import State, StateType, now_utc
from praefect.schemas.work_pools import WorkerFilter, WorkerFilterStatus, WorkPoolFilter

wp = orchestration.work_pools
due = orchestration.scheduled_runs


@pytest.fixture
def write(engine):
    return lambda fn: database.write(engine, fn)


@pytest.fixture
def read(engine):
    return lambda fn: database.read(engine, fn)


def _scheduled(at: _dt.datetime) -> State:
    return State(StateType.SCHEDULED, state_details={"scheduled_time": at})


def test_a_pool_is_created_with_a_default_queue_and_its_types_template(write, read):
    pool = write(lambda c: wp.create_pool(c, {"name": "local", "description": "mine"}))
    assert pool["type"] == "process"
    assert pool["status"] == "NOT_READY"
    assert "command" in pool["base_job_template"]["job_configuration"]
    queues = read(lambda c: wp.read_queues(c, "local"))
    assert [(q["name"], q["priority"], q["id"]) for q in queues] == [
        ("default", 1, pool["default_queue_id"])
    ]


def test_a_taken_pool_name_is_refused_and_a_bad_one_is_named(write):
    write(lambda c: wp.create_pool(c, {"name": "local"}))
    with pytest.raises(exceptions.ObjectAlreadyExists, match="'local'"):
        write(lambda c: wp.create_pool(c, {"name": "local"}))
    with pytest.raises(exceptions.InvalidNameError, match="'a/b'"):
        write(lambda c: wp.create_pool(c, {"name": "a/b"}))


def test_pools_are_filtered_updated_paused_and_deleted_with_their_queues(write, read):
    write(lambda c: wp.create_pool(c, {"name": "a"}))
    write(lambda c: wp.create_pool(c, {"name": "b", "type": "docker"}))
    only_b = WorkPoolFilter.model_validate({"type": {"any_": ["docker"]}})
    assert [
        p["name"] for p in read(lambda c: wp.read_pools(c, WorkPoolQuery(work_pools=only_b)))
    ] == ["b"]
    assert read(lambda c: wp.count_pools(c)) == 2
    assert write(lambda c: wp.update_pool(c, "a", {"is_paused": True, "concurrency_limit": 3}))
    pool = read(lambda c: wp.read_pool(c, "a"))
    assert (pool["status"], pool["concurrency_limit"]) == ("PAUSED", 3)
    with pytest.raises(ValueError, match="'name'"):
        write(lambda c: wp.update_pool(c, "a", {"name": "x"}))
    assert write(lambda c: wp.delete_pool(c, "a")) is True
    assert write(lambda c: wp.delete_pool(c, "a")) is False
    assert [q["work_pool_name"] for q in read(lambda c: wp.read_queues(c))] == ["b"]


def test_queues_get_the_next_priority_and_the_default_queue_cannot_be_deleted(write, read):
    pool = write(lambda c: wp.create_pool(c, {"name": "local"}))
    high = write(lambda c: wp.create_queue(c, "local", {"name": "high", "priority": 1}))
    low = write(lambda c: wp.create_queue(c, "local", {"name": "low"}))
    assert low["priority"] == 2 and low["work_pool_name"] == "local"
    assert write(lambda c: wp.update_queue(c, high["id"], {"is_paused": True}))
    assert read(lambda c: wp.read_queue(c, "local", "high"))["status"] == "PAUSED"
    with pytest.raises(exceptions.ObjectAlreadyExists):
        write(lambda c: wp.create_queue(c, "local", {"name": "low"}))
    with pytest.raises(ValueError, match="default queue"):
        write(lambda c: wp.delete_queue(c, pool["default_queue_id"]))
    assert write(lambda c: wp.delete_queue(c, low["id"])) is True
    with pytest.raises(exceptions.ObjectNotFound, match="'nope'"):
        write(lambda c: wp.create_queue(c, "nope", {"name": "q"}))
    assert write(lambda c: wp.ensure_queue(c, "local", "made"))["name"] == "made"
    assert write(lambda c: wp.ensure_queue(c, "local"))["name"] == "default"


def test_a_heartbeat_makes_the_worker_online_and_the_pool_ready_until_it_goes_quiet(write, read):
    write(lambda c: wp.create_pool(c, {"name": "local"}))
    long_ago = now_utc() - _dt.timedelta(minutes=10)
    write(lambda c: wp.heartbeat(c, "local", "old", 10, now=long_ago))
    assert read(lambda c: wp.read_pool(c, "local"))["status"] == "NOT_READY"
    first = write(lambda c: wp.heartbeat(c, "local", "w1", 10))
    assert write(lambda c: wp.heartbeat(c, "local", "w1", 10)) == first  # an upsert
    assert read(lambda c: wp.read_pool(c, "local"))["status"] == "READY"
    workers = read(lambda c: wp.read_workers(c, "local"))
    assert [(w["name"], w["status"]) for w in workers] == [("w1", "ONLINE"), ("old", "OFFLINE")]
    online = WorkerFilter(status=WorkerFilterStatus(any_=["ONLINE"]))
    assert [
        w["name"] for w in read(lambda c: wp.read_workers(c, "local", WorkerQuery(workers=online)))
    ] == ["w1"]
    assert write(lambda c: wp.delete_worker(c, "local", "old")) is True


def test_a_sub_second_heartbeat_interval_is_kept_and_sets_the_window(write, read):
    write(lambda c: wp.create_pool(c, {"name": "fast"}))
    beat = now_utc()
    write(lambda c: wp.heartbeat(c, "fast", "quick", 0.25, now=beat))
    [worker] = read(lambda c: wp.read_workers(c, "fast", now=beat))
    assert worker["heartbeat_interval_seconds"] == 0.25
    # three intervals: 0.75 s, not three of the default 30 s
    later = beat + _dt.timedelta(seconds=0.7)
    assert read(lambda c: wp.read_workers(c, "fast", now=later))[0]["status"] == "ONLINE"
    later = beat + _dt.timedelta(seconds=1)
    assert read(lambda c: wp.read_workers(c, "fast", now=later))[0]["status"] == "OFFLINE"


def _run_in(write, queue: dict, state: State, **fields) -> uuid.UUID:
    run_id = uuid.uuid4()

    def create(conn):
        flow_id = orchestration.flows.ensure(conn, "f")
        row = {"id": run_id, "name": f"r-{run_id.hex[:6]}", "flow_id": flow_id, "state": state}
        row.update(work_queue_id=queue["id"], work_queue_name=queue["name"], **fields)
        orchestration.flow_runs.create(conn, row)

    write(create)
    return run_id


def test_due_runs_come_by_queue_priority_then_time_and_respect_pauses(write, read):
    write(lambda c: wp.create_pool(c, {"name": "local"}))
    urgent = write(lambda c: wp.create_queue(c, "local", {"name": "urgent", "priority": 1}))
    default = read(lambda c: wp.read_queue(c, "local", "default"))
    write(lambda c: wp.update_queue(c, default["id"], {"priority": 5}))
    now = now_utc()
    early_default = _run_in(write, default, _scheduled(now - _dt.timedelta(minutes=5)))
    late_urgent = _run_in(write, urgent, _scheduled(now - _dt.timedelta(minutes=1)))
    early_urgent = _run_in(write, urgent, _scheduled(now - _dt.timedelta(minutes=2)))
    _run_in(write, default, _scheduled(now + _dt.timedelta(hours=1)))  # not due yet
    _run_in(write, default, State(StateType.RUNNING))

    items = write(lambda c: due.for_work_pool(c, "local"))
    assert [i["flow_run"]["id"] for i in items] == [early_urgent, late_urgent, early_default]
    assert items[0]["work_queue_id"] == urgent["id"]
    assert read(lambda c: wp.read_queue(c, "local", "urgent"))["status"] == "READY"  # polled
    only_default = write(lambda c: due.for_work_pool(c, "local", ["default"]))
    assert [i["flow_run"]["id"] for i in only_default] == [early_default]
    assert len(write(lambda c: due.for_work_pool(c, "local", limit=2))) == 2

    write(lambda c: wp.update_queue(c, urgent["id"], {"is_paused": True}))
    assert [i["flow_run"]["id"] for i in write(lambda c: due.for_work_pool(c, "local"))] == [
        early_default
    ]
    write(lambda c: wp.update_pool(c, "local", {"is_paused": True}))
    assert write(lambda c: due.for_work_pool(c, "local")) == []
    with pytest.raises(exceptions.ObjectNotFound):
        write(lambda c: due.for_work_pool(c, "missing"))


def test_due_runs_stay_within_the_pool_and_queue_concurrency_limits(write, read):
    write(lambda c: wp.create_pool(c, {"name": "local", "concurrency_limit": 3}))
    q = write(lambda c: wp.create_queue(c, "local", {"name": "q", "concurrency_limit": 1}))
    default = read(lambda c: wp.read_queue(c, "local", "default"))
    write(lambda c: wp.update_queue(c, default["id"], {"priority": 5}))
    past = now_utc() - _dt.timedelta(seconds=1)
    for _ in range(2):
        _run_in(write, q, _scheduled(past))
    for _ in range(4):
        _run_in(write, default, _scheduled(past))
    _run_in(write, default, State(StateType.RUNNING))
    items = write(lambda c: due.for_work_pool(c, "local"))
    by_queue = [i["work_queue_id"] for i in items]
    # the pool has 3 slots, one taken by the running run; queue q has one slot
    assert by_queue.count(q["id"]) == 1 and len(items) == 2


def test_a_runner_polls_the_due_runs_of_its_deployments(write, read):
    deployment_id = uuid.uuid4()

    def create_deployment(conn):
        now = now_utc()
        conn.execute(
            tables.deployment.insert().values(
                id=deployment_id,
                created=now,
                updated=now,
                name="d",
                flow_id=orchestration.flows.ensure(conn, "f"),
                tags=[],
                parameters={},
                job_variables={},
            )
        )

    write(create_deployment)
    queue = {"id": None, "name": None}
    past = now_utc() - _dt.timedelta(seconds=5)
    mine = _run_in(write, queue, _scheduled(past), deployment_id=deployment_id)
    _run_in(write, queue, _scheduled(past), deployment_id=uuid.uuid4())
    runs = write(lambda c: due.for_deployments(c, [deployment_id]))
    assert [r["id"] for r in runs] == [mine]
    polled = read(lambda c: c.execute(tables.deployment.select()).mappings().one())
    assert polled["status"] == "READY" and polled["last_polled"] is not None


def test_why_a_run_waits_names_the_cause(write, read):
    why = orchestration.scheduled_runs.why_waiting
    now = now_utc()
    write(lambda c: wp.create_pool(c, {"name": "p"}))
    queue = read(lambda c: wp.read_queue(c, "p", "default"))
    run = _run_in(write, queue, _scheduled(now - _dt.timedelta(minutes=1)))
    assert read(lambda c: why(c, run, now)) == (
        "No worker has polled work pool 'p': start one with `praefect worker start --pool p`."
    )
    long_ago = now - _dt.timedelta(minutes=10)
    write(lambda c: wp.heartbeat(c, "p", "w-old", 10, now=long_ago))
    assert read(lambda c: why(c, run, now)).startswith(
        "No worker of work pool 'p' is online: the last heartbeat came from 'w-old' at "
    )
    write(lambda c: wp.heartbeat(c, "p", "w1", 10, now=now))
    assert read(lambda c: why(c, run, now)).startswith(
        "1 worker(s) of work pool 'p' are online and have not taken it yet"
    )
    write(lambda c: wp.update_queue(c, queue["id"], {"concurrency_limit": 1}))
    _run_in(write, queue, State("RUNNING"))
    assert read(lambda c: why(c, run, now)) == (
        "The concurrency limit of work queue 'default' of work pool 'p' is full: "
        "1 of 1 runs active."
    )
    write(lambda c: wp.update_pool(c, "p", {"concurrency_limit": 1}))
    assert "of work pool 'p' is full: 1 of 1" in read(lambda c: why(c, run, now))
    write(lambda c: wp.update_queue(c, queue["id"], {"is_paused": True}))
    assert read(lambda c: why(c, run, now)) == "Work queue 'default' of work pool 'p' is paused."
    write(lambda c: wp.update_pool(c, "p", {"is_paused": True}))
    assert read(lambda c: why(c, run, now)) == "Work pool 'p' is paused."
