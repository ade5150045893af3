"""The embedded store: everything a run does is in SQLite once the call returns."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from contextlib import closing

from praefect import flow, get_client, task
from praefect.states import StateType
from tests.engine.conftest import flow_run_id_of, task_runs_of


def test_a_thousand_task_runs_are_stored_completed_when_the_flow_returns(praefect_home):
    @task
    def inc(x):
        return x + 1

    @flow
    def many():
        return sum(inc(i) for i in range(1000))

    state = many(return_state=True)
    assert state.result() == sum(range(1, 1001))
    # Another process's view: a plain sqlite connection, which cannot flush our queue.
    with closing(sqlite3.connect(praefect_home / "praefect.db")) as db:
        rows = db.execute(
            "SELECT state_type, count(*) FROM task_run WHERE flow_run_id = ? GROUP BY state_type",
            (str(flow_run_id_of(state)),),
        ).fetchall()
    assert rows == [("COMPLETED", 1000)]
    with get_client(sync_client=True) as reader:
        runs = task_runs_of(reader, flow_run_id_of(state))
        assert len(runs) == 1000
        assert {tr.state.type for tr in runs} == {StateType.COMPLETED}


def test_submitted_task_runs_are_all_stored(client):
    @task
    def square(x):
        return x * x

    @flow
    def fan_out():
        return sum(f.result() for f in [square.submit(i) for i in range(200)])

    state = fan_out(return_state=True)
    assert state.result() == sum(i * i for i in range(200))
    runs = task_runs_of(client, flow_run_id_of(state))
    assert len(runs) == 200
    assert {tr.state.type for tr in runs} == {StateType.COMPLETED}


def test_task_run_states_are_stored_in_order(client):
    @task
    def t():
        return 1

    @flow
    def f():
        t()

    state = f(return_state=True)
    [run] = task_runs_of(client, flow_run_id_of(state))
    assert [s.name for s in client.read_task_run_states(run.id)] == [
        "Pending",
        "Running",
        "Completed",
    ]
    assert [s.name for s in client.read_flow_run_states(flow_run_id_of(state))] == [
        "Pending",
        "Running",
        "Completed",
    ]


def test_flow_run_row_has_prefect_fields(client):
    @flow
    def f():
        return 1

    state = f(return_state=True)
    run = client.read_flow_run(flow_run_id_of(state))
    assert run.run_count == 1
    assert run.start_time is not None and run.end_time is not None
    assert run.end_time >= run.start_time
    assert run.total_run_time is not None
    assert client.read_flow(run.flow_id).name == "f"


SCRIPT = """
from praefect import task

@task
def lonely(x):
    return x * 2

lonely(21)
# no flush, no close: the interpreter just exits
"""


def test_task_outside_a_flow_is_stored_even_if_the_script_just_exits(tmp_path, cli_env, client):
    script = tmp_path / "lonely.py"
    script.write_text(textwrap.dedent(SCRIPT))
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=cli_env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    [run] = client.read_task_runs()
    assert run.name.startswith("lonely-")
    assert run.flow_run_id is None
    assert run.state.type == StateType.COMPLETED


SUBMIT_SCRIPT = """
from praefect import task

@task
def lonely(x):
    return x * 2

futures = [lonely.submit(i) for i in range(5)]
print(sum(f.result() for f in futures))
"""


def test_tasks_submitted_outside_a_flow_are_stored(tmp_path, cli_env, client):
    script = tmp_path / "submitted.py"
    script.write_text(textwrap.dedent(SUBMIT_SCRIPT))
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=cli_env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "20"
    runs = client.read_task_runs()
    assert len(runs) == 5
    assert {r.state.type for r in runs} == {StateType.COMPLETED}
