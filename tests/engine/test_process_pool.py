"""The process pool task runner: tasks run in other processes (real ones), their states and
logs land in the same store, exceptions keep their type, and a dying worker ends its run
Crashed."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from praefect import flow, get_run_logger, task
from praefect.engine.process_pool import RemoteTraceback
from praefect.futures import wait
from praefect.states import StateType
from praefect.task_runners import ProcessPoolTaskRunner
from praefect.testing.utilities import prefect_test_harness
from tests.engine.conftest import flow_run_id_of, logs_of, state_names, task_runs_of


class InventoryError(Exception):
    """A user exception type: it must come back as itself, not as a generic error."""


@task
def square(x: int) -> int:
    return x * x


@task
def whoami() -> int:
    return os.getpid()


def test_submitted_tasks_run_in_worker_processes_and_return_results():
    @flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
    def f():
        futures = [square.submit(i) for i in range(4)]
        pids = {whoami.submit().result() for _ in range(3)}
        return [fut.result() for fut in futures], pids

    results, pids = f()
    assert results == [0, 1, 4, 9]
    assert os.getpid() not in pids


def test_two_workers_run_two_tasks_at_the_same_time():
    @task
    def nap() -> tuple[float, float]:
        started = time.time()
        time.sleep(0.5)
        return started, time.time()

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
    def f():
        return [fut.result() for fut in [nap.submit(), nap.submit()]]

    (start_a, end_a), (start_b, end_b) = f()
    assert max(start_a, start_b) < min(end_a, end_b)  # the two naps overlapped


def test_states_and_logs_of_process_runs_are_in_the_store(client):
    @task(log_prints=True)
    def chatty(x: int) -> int:
        get_run_logger().info("logged from pid %s", os.getpid())
        print(f"printed {x}")
        return x

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
    def f():
        return [fut.result() for fut in chatty.map([1, 2])]

    state = f(return_state=True)
    assert state.result() == [1, 2]
    flow_run_id = flow_run_id_of(state)
    runs = task_runs_of(client, flow_run_id)
    assert len(runs) == 2
    for run in runs:
        assert run.flow_run_id == flow_run_id
        assert run.state_type == StateType.COMPLETED
        assert state_names(client.read_task_run_states(run.id)) == [
            "Pending",
            "Running",
            "Completed",
        ]
    messages = [(log.task_run_id, log.message) for log in logs_of(client, flow_run_id)]
    run_ids = {run.id for run in runs}
    printed = {m for tr, m in messages if tr in run_ids and m.startswith("printed")}
    assert printed == {"printed 1", "printed 2"}
    logged = [m for tr, m in messages if tr in run_ids and m.startswith("logged from pid")]
    assert len(logged) == 2
    assert str(os.getpid()) not in " ".join(logged)


def test_exception_keeps_its_type_and_the_worker_traceback():
    @task
    def reserve_stock(sku: str) -> None:
        raise InventoryError(f"{sku} is out of stock")

    seen = {}

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
    def g():
        fut = reserve_stock.submit("A-1")
        with pytest.raises(InventoryError, match="A-1 is out of stock") as raised:
            fut.result()
        seen["error"] = raised.value
        seen["state"] = fut.state

    g()
    error = seen["error"]
    assert type(error) is InventoryError
    assert isinstance(error.__cause__, RemoteTraceback)
    assert "reserve_stock" in str(error.__cause__)
    assert 'raise InventoryError(f"{sku} is out of stock")' in str(error.__cause__)
    assert seen["state"].type is StateType.FAILED
    assert isinstance(seen["state"].data, InventoryError)


def test_failed_task_is_retried_in_the_worker(client, tmp_path: Path):
    attempts = tmp_path / "attempts"

    @task(retries=2, retry_delay_seconds=0)
    def flaky() -> int:
        with attempts.open("a") as f:
            f.write(f"{os.getpid()}\n")
        if len(attempts.read_text().splitlines()) < 3:
            raise RuntimeError("not yet")
        return 42

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
    def f():
        return flaky.submit().result()

    state = f(return_state=True)
    assert state.result() == 42
    pids = attempts.read_text().split()
    assert len(pids) == 3 and str(os.getpid()) not in pids
    [run] = task_runs_of(client, flow_run_id_of(state))
    assert run.run_count == 3
    assert state_names(client.read_task_run_states(run.id)) == [
        "Pending", "Running", "AwaitingRetry", "Retrying", "AwaitingRetry", "Retrying", "Completed"
    ]  # fmt: skip


def test_futures_of_process_tasks_feed_other_process_tasks(client):
    @task
    def add(a: int, b: int) -> int:
        return a + b

    @task
    def fail() -> None:
        raise ValueError("upstream broke")

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
    def f():
        one = square.submit(1)
        three = add.submit(one, 2)
        total = add.submit(three, add.submit(one, one))
        after = square.submit(3, wait_for=[total])
        broken = add.submit(fail.submit(), 1)
        broken.wait()
        return total.result(), after.result(), broken.state

    state = f(return_state=True)
    total, after, broken = state.result()
    assert (total, after) == (5, 9)
    assert broken.type is StateType.PENDING and broken.name == "NotReady"
    runs = {run.id: run for run in task_runs_of(client, flow_run_id_of(state))}
    assert len(runs) == 7
    linked = [run for run in runs.values() if run.task_inputs.get("a")]
    assert linked and all(run.task_inputs["a"][0].id in runs for run in linked)


def test_a_worker_that_dies_ends_its_run_crashed_and_the_flow_goes_on(client):
    @task
    def die() -> None:
        os._exit(3)

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
    def f():
        dead = die.submit()
        dead.wait()
        after = square.submit(5)  # a fresh pool takes the next runs
        return dead.state, after.result()

    state = f(return_state=True)
    dead, after = state.result()
    assert dead.type is StateType.CRASHED
    assert "died unexpectedly" in dead.message
    assert after == 25
    runs = task_runs_of(client, flow_run_id_of(state))
    assert sorted(run.state_name for run in runs) == ["Completed", "Crashed"]


def test_async_tasks_and_timeouts_and_hooks_work_in_workers(tmp_path: Path):
    hooked = tmp_path / "hooked"

    def mark(task, task_run, state):
        hooked.write_text(state.name)

    @task(on_completion=[mark])
    async def double(x: int) -> int:
        await asyncio.sleep(0.01)
        return 2 * x

    @task(timeout_seconds=0.2)
    def slow() -> None:
        time.sleep(1)

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
    def f():
        timed = slow.submit()
        timed.wait()
        return double.submit(21).result(), timed.state

    doubled, timed = f()
    assert doubled == 42
    assert hooked.read_text() == "Completed"
    assert timed.type is StateType.FAILED and timed.name == "TimedOut"


def test_a_result_that_cannot_be_pickled_fails_the_run_with_the_reason():
    @task
    def make_lock():
        import threading

        return threading.Lock()

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
    def f():
        future = make_lock.submit()
        future.wait()
        return future.state.type, future.state.message

    state_type, message = f()
    assert state_type is StateType.FAILED
    assert "cannot be pickled" in message


def _refuse_to_load() -> None:
    raise ValueError("this value only loads in the worker")


class LoadsOnlyInWorker:
    """Pickles in the worker; loading it back in the flow's process raises."""

    def __reduce__(self) -> tuple[object, tuple[()]]:
        return _refuse_to_load, ()


@task
def make_value_that_cannot_load() -> LoadsOnlyInWorker:
    return LoadsOnlyInWorker()


def test_a_result_that_cannot_be_loaded_in_the_flow_fails_the_run_with_the_reason():
    @flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
    def f():
        future = make_value_that_cannot_load.submit()
        future.wait(timeout=30)  # the run used to stay unsettled: the flow waited forever
        return future.state.type, future.state.message

    state_type, message = f()
    assert state_type is StateType.FAILED
    assert "could not be loaded in the flow's process" in message
    assert "this value only loads in the worker" in message


def test_process_runs_go_to_the_test_harness_database(praefect_home: Path):
    with prefect_test_harness():
        from praefect import get_client
        from praefect.settings import get_current_settings

        url = get_current_settings().resolved_database_url
        assert str(praefect_home) not in url

        @flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
        def f():
            return square.submit(7).result()

        state = f(return_state=True)
        assert state.result() == 49
        with get_client(sync_client=True) as harness_client:
            [run] = task_runs_of(harness_client, flow_run_id_of(state))
            assert run.state_name == "Completed"
    assert not (praefect_home / "praefect.db").exists() or _no_task_runs(praefect_home)


def _no_task_runs(home: Path) -> bool:
    import sqlite3

    with sqlite3.connect(home / "praefect.db") as conn:
        return conn.execute("select count(*) from task_run").fetchone()[0] == 0


def test_runner_outside_a_flow_maps_and_shuts_down():
    runner = ProcessPoolTaskRunner(max_workers=2)
    assert runner.duplicate() == runner and runner.duplicate() is not runner
    assert repr(runner) == "ProcessPoolTaskRunner(max_workers=2)"
    with runner:
        futures = runner.map(square, {"x": [1, 2, 3]})
        done, not_done = wait(futures)
        assert not not_done
        assert futures.result() == [1, 4, 9]
    with pytest.raises(ValueError, match="max_workers"):
        ProcessPoolTaskRunner(max_workers=0)
