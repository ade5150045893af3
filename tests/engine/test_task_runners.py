"""Task runners: the thread pool runs submitted tasks side by side, bounded by max_workers."""

from __future__ import annotations

import threading
import time

import pytest

from praefect import flow, task
from praefect.task_runners import ConcurrentTaskRunner, TaskRunner, ThreadPoolTaskRunner

NAP = 0.3


@task
def nap(i):
    time.sleep(NAP)
    return i


def _elapsed_for(runner, count):
    @flow(task_runner=runner)
    def f():
        return [fut.result() for fut in [nap.submit(i) for i in range(count)]]

    started = time.perf_counter()
    assert f() == list(range(count))
    return time.perf_counter() - started


def test_default_task_runner_is_a_thread_pool():
    @flow
    def f():
        pass

    assert isinstance(f.task_runner, ThreadPoolTaskRunner)
    assert isinstance(f.task_runner, TaskRunner)
    assert ConcurrentTaskRunner is ThreadPoolTaskRunner


def test_thread_pool_runs_max_workers_tasks_in_parallel():
    # all 4 tasks must be running at the same moment to pass the barrier (no wall-clock
    # assumptions, so a loaded machine cannot make this flaky)
    barrier = threading.Barrier(4, timeout=30)

    @task
    def meet(i):
        barrier.wait()
        return i

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=4))
    def f():
        return [fut.result() for fut in [meet.submit(i) for i in range(4)]]

    assert f() == [0, 1, 2, 3]


def test_thread_pool_never_runs_more_than_max_workers_at_once():
    running, peak = [], [0]
    lock = threading.Lock()

    @task
    def tracked(i):
        with lock:
            running.append(i)
            peak[0] = max(peak[0], len(running))
        time.sleep(0.05)
        with lock:
            running.remove(i)
        return i

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
    def f():
        return [fut.result() for fut in [tracked.submit(i) for i in range(6)]]

    assert f() == list(range(6))
    assert peak[0] == 2


def test_one_worker_runs_tasks_one_at_a_time():
    running = []
    peak = []
    lock = threading.Lock()

    @task
    def tracked():
        with lock:
            running.append(1)
            peak.append(len(running))
        time.sleep(0.02)
        with lock:
            running.pop()

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=1))
    def f():
        for fut in [tracked.submit() for _ in range(5)]:
            fut.wait()

    f()
    assert max(peak) == 1


def test_runner_class_is_accepted_as_well_as_an_instance():
    @flow(task_runner=ThreadPoolTaskRunner)
    def f():
        return nap.submit(1).result()

    assert f() == 1


def test_max_workers_must_be_positive():
    with pytest.raises(ValueError, match="max_workers"):
        ThreadPoolTaskRunner(max_workers=0)


def test_flow_waits_for_submitted_tasks_it_did_not_wait_on(client):
    done = []

    @task
    def side_effect():
        time.sleep(0.1)
        done.append(1)

    @flow
    def f():
        side_effect.submit()

    f()
    assert done == [1]
    [run] = client.read_task_runs()
    assert run.state.is_completed()
