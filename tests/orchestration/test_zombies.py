"""Crash detection of flow runs whose process is gone (pid on this host, or a stale heartbeat)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

from praefect import database, orchestration
from praefect.schemas.states import State, StateType, now_utc

HOST = "this-host"


def _find(engine, now=None, alive=lambda pid: pid == os.getpid()):
    return database.read(
        engine,
        lambda conn: orchestration.zombies.find_dead_runs(
            conn, HOST, stale_after=30, now=now, is_alive=alive
        ),
    )


def test_running_run_whose_pid_is_gone_on_this_host_is_dead(engine, new_run):
    gone = new_run(State(StateType.RUNNING), hostname=HOST, pid=999_999_999)
    alive = new_run(State(StateType.RUNNING), hostname=HOST, pid=os.getpid())
    finished = new_run(State(StateType.COMPLETED), hostname=HOST, pid=999_999_999)
    dead = {run_id: reason for run_id, _, reason in _find(engine)}
    assert set(dead) == {gone}
    assert "pid 999999999" in dead[gone]
    assert alive not in dead and finished not in dead


def test_run_on_another_host_is_dead_only_once_its_heartbeat_is_stale(engine, new_run):
    run_id = new_run(State(StateType.RUNNING), hostname="elsewhere", pid=1)
    soon = now_utc() + dt.timedelta(seconds=10)
    later = now_utc() + dt.timedelta(seconds=31)
    assert _find(engine, now=soon) == []
    [(found, _, reason)] = _find(engine, now=later)
    assert found == run_id and "No heartbeat" in reason

    database.write(
        engine,
        lambda conn: orchestration.flow_runs.update(conn, run_id, heartbeat=later),
    )
    assert _find(engine, now=later + dt.timedelta(seconds=5)) == []


def test_mark_crashed_never_overwrites_a_run_that_moved_on(engine, new_run, propose):
    run_id = new_run(State(StateType.RUNNING), hostname=HOST, pid=999_999_999)
    [(_, seen_state, reason)] = _find(engine)
    propose(run_id, State(StateType.COMPLETED))
    marked = database.write(
        engine, lambda conn: orchestration.zombies.mark_crashed(conn, run_id, seen_state, reason)
    )
    assert marked is False
    run = database.read(engine, lambda conn: orchestration.flow_runs.read(conn, run_id))
    assert run["state_type"] == "COMPLETED"


def test_mark_crashed_records_a_crashed_state_with_the_reason(engine, new_run):
    run_id = new_run(State(StateType.RUNNING), hostname=HOST, pid=999_999_999)
    [(_, seen_state, reason)] = _find(engine)
    assert database.write(
        engine, lambda conn: orchestration.zombies.mark_crashed(conn, run_id, seen_state, reason)
    )
    run = database.read(engine, lambda conn: orchestration.flow_runs.read(conn, run_id))
    assert run["state_type"] == "CRASHED"
    assert "pid 999999999" in run["state"].message


def test_a_reused_pid_does_not_keep_a_dead_run_alive(engine, new_run):
    import subprocess
    import sys

    # a live process that started long after the run did: the run's own process is gone
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = now_utc() - dt.timedelta(hours=1)
        run_id = new_run(State(StateType.RUNNING, timestamp=started), hostname=HOST, pid=other.pid)
        database.write(
            engine,
            lambda conn: conn.execute(
                orchestration.flow_runs._run.update()
                .where(orchestration.flow_runs._run.c.id == run_id)
                .values(start_time=started)
            ),
        )
        dead = database.read(
            engine,
            lambda conn: orchestration.zombies.find_dead_runs(conn, HOST, stale_after=30),
        )
        assert [d[0] for d in dead] == [run_id]
    finally:
        other.kill()
        other.wait()


def _claim(worker: str, pool: str = "pool") -> State:
    return State(StateType.PENDING, state_details={"worker_name": worker, "work_pool_name": pool})


def test_pending_run_of_a_worker_that_stopped_heartbeating_is_orphaned(engine, new_run):
    def beat(conn, at):  # type: ignore[no-untyped-def]
        orchestration.work_pools.create_pool(conn, {"name": "pool"})
        orchestration.work_pools.heartbeat(conn, "pool", "w1", 10, now=at)

    database.write(engine, lambda conn: beat(conn, now_utc()))
    claimed = new_run(_claim("w1"), infrastructure_pid="elsewhere:12")
    unknown = new_run(_claim("gone-worker"))
    plain = new_run(State(StateType.PENDING), hostname=HOST, pid=999_999_999)
    dead = {run_id: reason for run_id, _, reason in _find(engine)}
    assert set(dead) == {unknown}
    later = now_utc() + dt.timedelta(seconds=31)
    dead = {run_id: reason for run_id, _, reason in _find(engine, now=later)}
    assert set(dead) == {claimed, unknown} and plain not in dead
    assert "The worker 'w1' of pool 'pool' that claimed it has sent no heartbeat" in dead[claimed]


def test_pending_run_whose_process_is_gone_on_this_host_is_orphaned(engine, new_run):
    gone = new_run(_claim("w1"), infrastructure_pid=f"{HOST}:999999999")
    starting = new_run(_claim("w1"), infrastructure_pid=f"{HOST}:{os.getpid()}")
    dead = {run_id: reason for run_id, _, reason in _find(engine)}
    assert gone in dead and starting not in dead
    assert f"({HOST}:999999999) is gone before it started running" in dead[gone]


def test_a_new_attempt_is_watched_through_its_own_process(engine, new_run, propose):
    """The first attempt ran long ago in another process; the new one runs in a process that
    started after the run's first start: it is alive, not a reused pid."""
    long_ago = now_utc() - dt.timedelta(days=1)
    run_id = new_run(State(StateType.FAILED), hostname=HOST, pid=1, start_time=long_ago)
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as attempt:
        try:
            time.sleep(0.1)
            propose(run_id, State(StateType.SCHEDULED), force=True)
            running = {"hostname": HOST, "pid": attempt.pid}
            propose(run_id, State(StateType.RUNNING, state_details=running))
            assert _find(engine, alive=orchestration.zombies.pid_alive) == []
        finally:
            attempt.kill()
