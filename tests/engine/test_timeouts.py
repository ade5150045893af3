"""timeout_seconds ends a run TimedOut on time, for sync code as well as async."""

from __future__ import annotations

import asyncio
import time

import pytest

from praefect import flow, task
from praefect.exceptions import FlowRunTimeoutError, TaskRunTimeoutError
from praefect.states import StateType
from tests.engine.conftest import flow_run_id_of, task_runs_of

TIMEOUT = 0.3


def test_sync_task_times_out_on_time(client):
    @task(timeout_seconds=TIMEOUT)
    def sleepy():
        time.sleep(5)
        return "too late"

    @flow
    def f():
        return {"state": sleepy(return_state=True)}

    started = time.perf_counter()
    state = f(return_state=True)
    elapsed = time.perf_counter() - started
    assert elapsed < TIMEOUT + 1
    task_state = state.result()["state"]
    assert task_state.type == StateType.FAILED
    assert task_state.name == "TimedOut"
    with pytest.raises(TaskRunTimeoutError):
        task_state.result()
    [run] = task_runs_of(client, flow_run_id_of(state))
    assert (run.state.type, run.state.name) == (StateType.FAILED, "TimedOut")


def test_sync_flow_times_out_on_time(client):
    @flow(timeout_seconds=TIMEOUT)
    def sleepy_flow():
        time.sleep(5)

    started = time.perf_counter()
    state = sleepy_flow(return_state=True)
    assert time.perf_counter() - started < TIMEOUT + 1
    assert (state.type, state.name) == (StateType.FAILED, "TimedOut")
    with pytest.raises(FlowRunTimeoutError):
        state.result()
    stored = client.read_flow_run(flow_run_id_of(state))
    assert (stored.state.type, stored.state.name) == (StateType.FAILED, "TimedOut")


def test_sync_flow_call_raises_the_timeout_error():
    @flow(timeout_seconds=TIMEOUT)
    def sleepy_flow():
        time.sleep(5)

    started = time.perf_counter()
    with pytest.raises(FlowRunTimeoutError):
        sleepy_flow()
    assert time.perf_counter() - started < TIMEOUT + 1


async def test_async_task_times_out_on_time():
    @task(timeout_seconds=TIMEOUT)
    async def sleepy():
        await asyncio.sleep(5)

    @flow
    async def f():
        return {"state": await sleepy(return_state=True)}

    started = time.perf_counter()
    task_state = (await f())["state"]
    assert time.perf_counter() - started < TIMEOUT + 1
    assert (task_state.type, task_state.name) == (StateType.FAILED, "TimedOut")


async def test_async_flow_times_out_on_time(client):
    @flow(timeout_seconds=TIMEOUT)
    async def sleepy_flow():
        await asyncio.sleep(5)

    started = time.perf_counter()
    state = await sleepy_flow(return_state=True)
    assert time.perf_counter() - started < TIMEOUT + 1
    assert (state.type, state.name) == (StateType.FAILED, "TimedOut")
    assert client.read_flow_run(flow_run_id_of(state)).state.name == "TimedOut"


def test_timed_out_task_is_retried():
    attempts = []

    @task(timeout_seconds=0.1, retries=1)
    def slow_then_fast():
        attempts.append(1)
        if len(attempts) == 1:
            time.sleep(2)
        return "fast"

    @flow
    def f():
        return slow_then_fast()

    started = time.perf_counter()
    assert f() == "fast"
    assert time.perf_counter() - started < 1.5


def test_task_that_finishes_in_time_completes():
    @task(timeout_seconds=2)
    def quick():
        return 42

    @flow
    def f():
        return quick()

    assert f() == 42


def test_non_positive_timeout_is_refused():
    with pytest.raises(ValueError, match="timeout_seconds"):

        @task(timeout_seconds=0)
        def t():
            pass
