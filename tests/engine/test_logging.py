"""Run logs: get_run_logger, stored logs, log_prints, and what the console shows."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

import pytest

from praefect import flow, get_run_logger, task
from praefect.exceptions import MissingContextError
from praefect.logging import disable_run_logger
from praefect.runtime import flow_run, task_run
from tests.engine.conftest import flow_run_id_of, logs_of


def test_run_logger_reaches_caplog_from_flow_and_task(caplog):
    @task
    def t():
        get_run_logger().info("hello from the task")

    @flow
    def f():
        get_run_logger().warning("hello from the flow")
        t()

    with caplog.at_level(logging.INFO):
        f()
    messages = {r.getMessage(): r.levelno for r in caplog.records}
    assert messages["hello from the flow"] == logging.WARNING
    assert messages["hello from the task"] == logging.INFO


def test_logs_are_stored_against_their_run_with_levels(client):
    ids = {}

    @task
    def t():
        ids["task"] = task_run.id
        get_run_logger().error("task says error")

    @flow
    def f():
        ids["flow"] = flow_run.id
        get_run_logger().info("flow says info")
        t()

    state = f(return_state=True)
    logs = logs_of(client, flow_run_id_of(state))
    by_message = {log.message: log for log in logs}
    flow_log = by_message["flow says info"]
    task_log = by_message["task says error"]
    assert (flow_log.flow_run_id, flow_log.task_run_id, flow_log.level) == (
        ids["flow"],
        None,
        logging.INFO,
    )
    assert (task_log.flow_run_id, task_log.task_run_id, task_log.level) == (
        ids["flow"],
        ids["task"],
        logging.ERROR,
    )


def test_engine_logs_of_a_run_are_stored_too(client):
    @flow
    def f():
        return 1

    state = f(return_state=True)
    messages = [log.message for log in logs_of(client, flow_run_id_of(state))]
    assert any("Finished in state Completed" in m for m in messages)


def test_log_prints_stores_print_output(client, capsys):
    @task(log_prints=True)
    def chatty():
        print("printed in a task")

    @flow(log_prints=True)
    def f():
        print("printed", "in", "a flow")
        print("to stderr", file=sys.stderr)
        chatty()

    state = f(return_state=True)
    messages = [log.message for log in logs_of(client, flow_run_id_of(state))]
    assert "printed in a flow" in messages
    assert "printed in a task" in messages
    assert not any("to stderr" in m for m in messages)
    assert "to stderr" in capsys.readouterr().err


def test_tasks_inherit_log_prints_from_their_flow(client):
    @task
    def quiet():
        print("inherited print")

    @flow(log_prints=True)
    def f():
        quiet()

    state = f(return_state=True)
    assert "inherited print" in [log.message for log in logs_of(client, flow_run_id_of(state))]


def test_print_without_log_prints_is_not_stored(client, capsys):
    @flow
    def f():
        print("plain print")

    state = f(return_state=True)
    assert "plain print" not in [log.message for log in logs_of(client, flow_run_id_of(state))]
    assert "plain print" in capsys.readouterr().out


def test_get_run_logger_outside_a_run_raises_missing_context():
    with pytest.raises(MissingContextError, match="flow or task"):
        get_run_logger()


def test_disable_run_logger_lets_task_fn_run_outside_a_run():
    @task
    def logs_something(x):
        get_run_logger().info("ignored")
        return x

    with disable_run_logger():
        assert logs_something.fn(3) == 3


SCRIPT = """
from praefect import flow, task

@task
def divide(a, b):
    return a / b  # USER-LINE

@flow
def pipeline():
    return divide(1, 0)

if __name__ == "__main__":
    pipeline()
"""


def test_console_traceback_points_at_user_code_not_the_engine(tmp_path, cli_env):
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent(SCRIPT))
    user_line = next(
        i for i, line in enumerate(script.read_text().splitlines(), 1) if "USER-LINE" in line
    )
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
    )
    assert proc.returncode != 0
    err = proc.stderr
    assert "ZeroDivisionError" in err
    assert f'File "{script}", line {user_line}' in err
    assert "Task run failed with exception" in err
    # The log lines praefect prints carry the user's frames only.
    logged = err.split("Task run failed with exception", 1)[1].split("Finished in state", 1)[0]
    assert "praefect/engine" not in logged
    assert f"line {user_line}" in logged


def test_logs_of_submitted_tasks_are_stored_against_them(client):
    @task
    def worker(i):
        get_run_logger().info("worker %s", i)
        return task_run.id

    @flow
    def f():
        return [fut.result() for fut in worker.map(range(3))]

    state = f(return_state=True)
    ids = state.result()
    logs = {log.message: log for log in logs_of(client, flow_run_id_of(state))}
    assert [logs[f"worker {i}"].task_run_id for i in range(3)] == ids
