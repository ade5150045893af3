"""Background tasks end to end: ``Task.delay()`` in this process, task workers in threads of it
or in other processes (``praefect task serve``), through the embedded store."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from praefect import exceptions, get_client
from praefect.futures import PrefectDistributedFuture
from praefect.schemas.states import StateType
from praefect.task_worker import TaskWorker

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import background_app as app  # noqa: E402


@contextlib.contextmanager
def workers(*tasks, count: int = 1, limit: int = 10) -> Iterator[list[TaskWorker]]:
    """``count`` task workers serving ``tasks``, each in a thread of this process."""
    started = [TaskWorker(*tasks, limit=limit) for _ in range(count)]
    threads = [
        threading.Thread(target=asyncio.run, args=(worker.start(),), daemon=True)
        for worker in started
    ]
    for thread in threads:
        thread.start()
    try:
        yield started
    finally:
        for worker in started:
            asyncio.run(worker.stop())
        for thread in threads:
            thread.join(timeout=10)


def test_delay_is_run_by_a_task_worker_and_its_future_gives_the_result():
    with workers(app.triple):
        future = app.triple.delay(7)
        assert isinstance(future, PrefectDistributedFuture)
        assert future.result(timeout=10) == 21
    assert future.state.is_completed()
    with get_client(sync_client=True) as client:
        run = client.read_task_run(future.task_run_id)
        states = client.read_task_run_states(future.task_run_id)
    assert run.flow_run_id is None
    assert [s.name for s in states][:3] == ["Scheduled", "Pending", "Running"]
    assert states[0].state_details.task_parameters_id is not None


def test_a_failed_background_run_raises_its_error_from_the_future():
    with workers(app.fails):
        future = app.fails.delay()
        with pytest.raises(ValueError, match="no luck"):
            future.result(timeout=10)
    assert future.state.type is StateType.FAILED


def test_a_run_waits_for_the_futures_of_apply_async_wait_for(tmp_path):
    out = tmp_path / "order.txt"
    with workers(app.record, limit=4):
        first = app.record.apply_async(args=(1, str(out)))
        second = app.record.apply_async(kwargs={"x": 2, "path": str(out)}, wait_for=[first])
        assert second.result(timeout=10) == 2
    assert out.read_text().split() == ["1", "2"]


def test_an_argument_that_cannot_be_serialised_is_named_at_the_call():
    with pytest.raises(exceptions.SerializationError, match="'x'") as caught:
        app.triple.delay(threading.Lock())
    assert caught.value.parameter == "x"
    with get_client(sync_client=True) as client:
        assert client.read_task_runs() == []  # nothing half-written


def test_no_result_without_a_worker_times_out_saying_what_to_start():
    future = app.triple.delay(1)
    with pytest.raises(TimeoutError, match="task worker"):
        future.result(timeout=0.1)
    assert future.state.type is StateType.SCHEDULED


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_four_workers_run_each_of_200_tasks_exactly_once(use_database, tmp_path):
    out = tmp_path / "executions.txt"
    with workers(app.record, count=4, limit=5) as running:
        futures = [app.record.delay(i, str(out)) for i in range(200)]
        results = [future.result(timeout=60) for future in futures]
    assert results == list(range(200))
    executions = Counter(int(line) for line in out.read_text().split())
    assert set(executions) == set(range(200))  # none lost
    assert max(executions.values()) == 1  # none run twice
    assert len(running) == 4


def test_a_task_worker_killed_mid_task_leaves_the_run_crashed_and_its_retry_runs(cli_env, tmp_path):
    marker = tmp_path / "started"
    future = app.hang_the_first_time.delay(str(marker))
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "praefect.cli", "task", "serve"]
            + [f"{HERE / 'background_app.py'}:hang_the_first_time"],
            env=cli_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the worker never started the run"
            time.sleep(0.05)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    with workers(app.hang_the_first_time):  # its first heartbeat finds the dead worker's run
        assert future.result(timeout=20) == "second attempt"
    with get_client(sync_client=True) as client:
        names = [s.name for s in client.read_task_run_states(future.task_run_id)]
    assert "Crashed" in names
    assert names[-1] == "Completed"
