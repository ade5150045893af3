"""Background task runs in the service layer: scheduled, claimed by exactly one task worker,
crashed (and scheduled again) when their worker is gone. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

from praefect import database, orchestration
from praefect.schemas.states import State, StateType, now_utc

tw = orchestration.task_workers


def _schedule(engine, task_key="add", retries=0, count=1):
    ids = []
    rows = []
    for _ in range(count):
        run_id = uuid.uuid4()
        ids.append(run_id)
        rows.append(
            {
                "id": run_id,
                "name": f"{task_key}-{run_id.hex[:4]}",
                "task_key": task_key,
                "dynamic_key": run_id.hex[:8],
                "empirical_policy": {"retries": retries},
            }
        )
    parameters_id = uuid.uuid4()

    def write(conn):
        for row in rows:
            state = State(StateType.SCHEDULED, state_details={"task_parameters_id": parameters_id})
            tw.schedule(conn, row, state)

    database.write(engine, write)
    return ids


def _claim(engine, worker, keys=("add",), limit=10, now=None):
    return database.write(engine, lambda conn: tw.claim(conn, list(keys), worker, limit, now))


def _state(engine, run_id):
    return database.read(engine, lambda conn: orchestration.task_runs.read(conn, run_id))["state"]


def test_each_scheduled_run_is_claimed_by_exactly_one_of_four_concurrent_workers(engine):
    scheduled = set(_schedule(engine, count=120))
    claimed: dict[str, list[uuid.UUID]] = {}

    def work(worker: str) -> None:
        mine = claimed.setdefault(worker, [])
        while True:
            runs = _claim(engine, worker, limit=7)
            if not runs:
                return
            mine.extend(run["id"] for run in runs)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [run_id for runs in claimed.values() for run_id in runs]
    assert len(every) == len(set(every)) == 120  # none taken twice
    assert set(every) == scheduled  # none lost
    assert _state(engine, every[0]).type is StateType.PENDING


def test_a_claim_takes_only_runs_of_the_workers_tasks_and_carries_the_parameters(engine):
    [add] = _schedule(engine, "add")
    [other] = _schedule(engine, "other")
    runs = _claim(engine, "w1", keys=["add"])
    assert [run["id"] for run in runs] == [add]
    assert runs[0]["state"].state_details["task_parameters_id"] is not None
    assert _state(engine, other).type is StateType.SCHEDULED


def test_runs_of_a_silent_worker_crash_and_those_with_retries_are_scheduled_again(engine):
    start = now_utc()
    [retried] = _schedule(engine, retries=1)
    [final] = _schedule(engine, retries=0)
    database.write(engine, lambda conn: tw.heartbeat(conn, "w1", ["add"], now=start))
    assert len(_claim(engine, "w1", now=start)) == 2
    later = start + dt.timedelta(seconds=100)
    crashed = database.write(
        engine,
        lambda conn: tw.heartbeat(conn, "w2", ["add"], now=later, stale_after=30),
    )
    assert {run_id for run_id, _ in crashed} == {retried, final}
    assert "w1 sent no heartbeat" in crashed[0][1]
    assert _state(engine, final).type is StateType.CRASHED
    again = _state(engine, retried)
    assert again.type is StateType.SCHEDULED
    assert again.state_details["task_parameters_id"] is not None
    history = database.read(engine, lambda c: orchestration.task_runs.read_states(c, retried))
    assert [s.type for s in history][-2:] == [StateType.CRASHED, StateType.SCHEDULED]
    assert [run["id"] for run in _claim(engine, "w2", now=later)] == [retried]


def test_runs_of_a_worker_whose_process_ended_on_this_host_crash_at_once(engine):
    [run_id] = _schedule(engine)
    beat = lambda conn, worker, pid, **kw: tw.heartbeat(  # noqa: E731
        conn, worker, ["add"], "host-a", pid, **kw
    )
    database.write(engine, lambda conn: beat(conn, "w1", 999_999_999))
    _claim(engine, "w1")
    crashed = database.write(
        engine,
        lambda conn: beat(conn, "w2", 1, stale_after=30, sweep_hostname="host-a"),
    )
    assert [run_id] == [i for i, _ in crashed]
    assert "pid 999999999" in crashed[0][1]


def test_task_workers_are_listed_with_their_tasks_and_forgotten(engine):
    database.write(engine, lambda conn: tw.heartbeat(conn, "w1", ["add", "mul"]))
    database.write(engine, lambda conn: tw.heartbeat(conn, "w2", ["div"]))
    everyone = database.read(engine, lambda conn: tw.read_workers(conn))
    assert {w["identifier"] for w in everyone} == {"w1", "w2"}
    only = database.read(engine, lambda conn: tw.read_workers(conn, ["mul"]))
    assert [(w["identifier"], w["task_keys"]) for w in only] == [("w1", ["add", "mul"])]
    assert database.write(engine, lambda conn: tw.forget(conn, "w1")) is True
    assert [w["identifier"] for w in database.read(engine, tw.read_workers)] == ["w2"]
