"""The process worker, with real flow-run subprocesses: it runs a pool's due runs in place,
with their job variables; it stops a cancelled run even when its code is hung; a killed flow
process is marked Crashed at once and retried when it has retries left."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from praefect import database, orchestration
from praefect.workers import ProcessWorker
from praefect.workers.base import BaseJobConfiguration, job_variables
from tests.cli.conftest import run_praefect


@pytest.fixture
def running_worker() -> Iterator[list[ProcessWorker]]:
    """Start workers in background threads (``workers[0].run_forever()``); stopped at the end."""
    started: list[tuple[ProcessWorker, threading.Thread]] = []
    workers: list[ProcessWorker] = []

    def start(worker: ProcessWorker) -> ProcessWorker:
        thread = threading.Thread(target=worker.run_forever, daemon=True)
        thread.start()
        started.append((worker, thread))
        return worker

    workers.append(start)  # type: ignore[arg-type]
    yield workers
    for worker, thread in started:
        worker.stop()
        thread.join(30)


def _worker(**kwargs) -> ProcessWorker:  # type: ignore[no-untyped-def]
    kwargs.setdefault("work_pool_name", "local")
    return ProcessWorker(query_seconds=0.05, kill_grace_seconds=0.5, prefetch_seconds=0, **kwargs)


def test_job_variables_override_the_template_defaults_deployment_then_run():
    template = {
        "job_configuration": {"command": "{{ command }}", "env": "{{ env }}", "name": "x-{{ n }}"},
        "variables": {"properties": {"env": {"default": {"A": "1"}}, "n": {"default": 1}}},
    }
    values = job_variables(template, {"env": {"B": "2"}, "n": 2}, {"n": 3})
    config = BaseJobConfiguration.from_template_and_values(template, values)
    assert (config.env, config.name, config.command) == ({"B": "2"}, "x-3", None)
    with pytest.raises(ValueError, match="'env'.*'nope'"):
        BaseJobConfiguration.from_template_and_values(template, {"env": "nope"})


def test_a_worker_runs_a_pools_due_runs_in_place_with_their_job_variables(
    new_pool, new_deployment_run, read_run, tmp_path
):
    pool = new_pool()
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    out = tmp_path / "out.txt"
    run_id = new_deployment_run(
        pool,
        "report",
        {"out": str(out), "greeting": "hello"},
        job_variables={"env": {"GREETING": "from-the-run"}},
        deployment_job_variables={"env": {"GREETING": "no"}, "working_dir": str(workdir)},
    )
    worker = _worker()
    worker.run_forever(run_once=True)

    run = read_run(run_id)
    assert run["state_name"] == "Completed", run
    assert run["run_count"] == 1
    assert run["infrastructure_pid"].rsplit(":", 1)[1].isdigit()
    greeting, env, cwd, seen_id = out.read_text().split("|")
    assert (greeting, env, Path(cwd), seen_id) == ("hello", "from-the-run", workdir, str(run_id))
    pool = read_pool("local")
    assert pool["status"] == "READY"  # the worker heartbeats


def read_pool(name: str) -> dict:
    from praefect.settings import get_current_settings

    engine = database.get_engine(get_current_settings().resolved_database_url)
    return database.read(engine, lambda conn: orchestration.work_pools.read_pool(conn, name))


def test_a_worker_creates_its_pool_and_leaves_paused_pools_alone(new_deployment_run, read_run):
    worker = _worker(work_pool_name="made-by-worker")
    worker.run_forever(run_once=True)
    pool = read_pool("made-by-worker")
    assert pool["type"] == "process" and pool["status"] == "READY"
    client = worker.client
    client.update_work_pool("made-by-worker", {"is_paused": True})
    run_id = new_deployment_run(pool, "quick")
    _worker(work_pool_name="made-by-worker").run_forever(run_once=True)
    assert read_run(run_id)["state_name"] == "Scheduled"


def test_cancelling_a_hung_run_kills_its_process_and_marks_it_cancelled(
    new_pool, new_deployment_run, wait_for, running_worker, tmp_path, praefect_home, use_database
):
    pool = new_pool()
    pid_file = tmp_path / "pid"
    run_id = new_deployment_run(pool, "hang", {"pid_file": str(pid_file)})
    running_worker[0](_worker())  # type: ignore[operator]
    wait_for(run_id, lambda run: run["state_type"] == "RUNNING" and pid_file.exists())
    pid = int(pid_file.read_text())

    cancelled = run_praefect(
        "flow-run", "cancel", str(run_id), home=praefect_home,
        env={"PRAEFECT_DATABASE_URL": use_database},
    )  # fmt: skip
    assert cancelled.code == 0, cancelled.output
    assert "is now Cancelling" in cancelled.stdout
    # a bound against a hang, not a timing: the worker sends SIGKILL a grace after SIGTERM
    run = wait_for(run_id, lambda run: run["state_type"] == "CANCELLED", timeout=60)
    assert run["state"].message == "The flow run's process was stopped."
    with pytest.raises(ProcessLookupError):  # SIGTERM was ignored: SIGKILL ended it
        os.kill(pid, 0)


def test_a_killed_flow_process_is_marked_crashed_at_once_and_retried(
    new_pool, new_deployment_run, wait_for, read_run, running_worker, tmp_path
):
    pool = new_pool()
    pid_file = tmp_path / "pid"
    run_id = new_deployment_run(pool, "dies_once", {"pid_file": str(pid_file)})
    running_worker[0](_worker())  # type: ignore[operator]
    wait_for(run_id, lambda run: run["state_type"] == "RUNNING" and pid_file.exists())
    os.kill(int(pid_file.read_text()), signal.SIGKILL)

    run = wait_for(run_id, lambda run: run["state_type"] == "COMPLETED", timeout=60)
    history = database.read(
        database.get_engine(_url()), lambda conn: orchestration.flow_runs.read_states(conn, run_id)
    )
    names = [state.name for state in history]
    assert names == ["Scheduled", "Pending", "Running", "AwaitingRetry", "Pending", "Retrying",
                     "Completed"]  # fmt: skip
    assert "killed by signal 9" in history[3].message
    assert run["run_count"] == 2


def _url() -> str:
    from praefect.settings import get_current_settings

    return get_current_settings().resolved_database_url


def test_a_worker_whose_pool_is_deleted_creates_it_again_and_goes_on(
    new_pool, new_deployment_run, read_run, wait_for, running_worker
):
    new_pool()
    worker = running_worker[0](_worker())  # type: ignore[operator]
    time.sleep(0.2)
    worker.client.delete_work_pool("local")
    pool = _wait_for_pool("local")
    run_id = new_deployment_run(pool, "quick")
    wait_for(run_id, lambda run: run["state_type"] == "COMPLETED")


def _wait_for_pool(name: str) -> dict:
    deadline = time.monotonic() + 60  # a guard against a hang, not a timing
    while (pool := read_pool(name)) is None:
        assert time.monotonic() < deadline, "the worker did not create its pool again"
        time.sleep(0.05)
    return pool


def test_a_job_env_read_at_interpreter_start_gets_a_fresh_process_not_the_warm_spare(
    new_pool, new_deployment_run, wait_for, running_worker, tmp_path
):
    pool = new_pool()
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "extra_module.py").write_text("VALUE = 'imported through PYTHONPATH'\n")
    worker = running_worker[0](_worker())  # type: ignore[operator]
    deadline = time.monotonic() + 60  # a guard against a hang, not a timing
    while worker._spare is None:  # the warm spare is up: the run could be handed to it
        assert time.monotonic() < deadline, "the worker started no spare process"
        time.sleep(0.02)
    out = tmp_path / "out.txt"
    run_id = new_deployment_run(
        pool, "imports_extra", {"out": str(out)}, job_variables={"env": {"PYTHONPATH": str(extra)}}
    )
    run = wait_for(run_id, lambda run: run["state_type"] in ("COMPLETED", "FAILED", "CRASHED"))
    assert run["state_name"] == "Completed", run
    assert out.read_text() == "imported through PYTHONPATH"


def test_job_variables_read_variables_when_the_run_starts(
    new_pool, new_deployment_run, read_run, tmp_path
):
    from praefect.variables import Variable

    Variable.set("greeting_env", "from-a-variable")
    pool = new_pool()
    out = tmp_path / "out.txt"
    run_id = new_deployment_run(
        pool,
        "report",
        {"out": str(out), "greeting": "hi"},
        deployment_job_variables={"env": {"GREETING": "{{ prefect.variables.greeting_env }}"}},
    )
    _worker().run_forever(run_once=True)
    assert read_run(run_id)["state_name"] == "Completed"
    assert out.read_text().split("|")[1] == "from-a-variable"
