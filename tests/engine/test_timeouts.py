"""timeout_seconds ends a run TimedOut on time, for sync code as well as async.

"On time" is shown by events, not by a stopwatch: a body waits for a release the test gives
only after its assertions (or sleeps far longer than any test), and the run must have ended
TimedOut while the body was still waiting (``finished`` stays empty)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from praefect import flow, task
from praefect.exceptions import FlowRunTimeoutError, TaskRunTimeoutError
from praefect.states import StateType
from tests.engine.conftest import flow_run_id_of, task_runs_of

TIMEOUT = 0.3


@pytest.fixture
def hang() -> Iterator[tuple[threading.Event, list[str]]]:
    """A release the test gives at its end and a list a body appends to once released: a sync
    body that waits for the release is still waiting while the test asserts."""
    release, finished = threading.Event(), []
    yield release, finished
    release.set()


def test_sync_task_times_out_on_time(client, hang):
    release, finished = hang

    @task(timeout_seconds=TIMEOUT)
    def sleepy():
        release.wait(60)
        finished.append("too late")
        return "too late"

    @flow
    def f():
        return {"state": sleepy(return_state=True)}

    state = f(return_state=True)
    assert finished == []
    task_state = state.result()["state"]
    assert task_state.type == StateType.FAILED
    assert task_state.name == "TimedOut"
    with pytest.raises(TaskRunTimeoutError):
        task_state.result()
    [run] = task_runs_of(client, flow_run_id_of(state))
    assert (run.state.type, run.state.name) == (StateType.FAILED, "TimedOut")


def test_sync_flow_times_out_on_time(client, hang):
    release, finished = hang

    @flow(timeout_seconds=TIMEOUT)
    def sleepy_flow():
        release.wait(60)
        finished.append("too late")

    state = sleepy_flow(return_state=True)
    assert finished == []
    assert (state.type, state.name) == (StateType.FAILED, "TimedOut")
    with pytest.raises(FlowRunTimeoutError):
        state.result()
    stored = client.read_flow_run(flow_run_id_of(state))
    assert (stored.state.type, stored.state.name) == (StateType.FAILED, "TimedOut")


def test_sync_flow_call_raises_the_timeout_error(hang):
    release, finished = hang

    @flow(timeout_seconds=TIMEOUT)
    def sleepy_flow():
        release.wait(60)
        finished.append("too late")

    with pytest.raises(FlowRunTimeoutError):
        sleepy_flow()
    assert finished == []


async def test_async_task_times_out_on_time():
    finished = []

    @task(timeout_seconds=TIMEOUT)
    async def sleepy():
        await asyncio.sleep(60)
        finished.append("too late")

    @flow
    async def f():
        return {"state": await sleepy(return_state=True)}

    task_state = (await f())["state"]
    assert finished == []
    assert (task_state.type, task_state.name) == (StateType.FAILED, "TimedOut")


async def test_async_flow_times_out_on_time(client):
    finished = []

    @flow(timeout_seconds=TIMEOUT)
    async def sleepy_flow():
        await asyncio.sleep(60)
        finished.append("too late")

    state = await sleepy_flow(return_state=True)
    assert finished == []
    assert (state.type, state.name) == (StateType.FAILED, "TimedOut")
    assert client.read_flow_run(flow_run_id_of(state)).state.name == "TimedOut"


def test_timed_out_task_is_retried(hang):
    release, finished = hang
    attempts = []

    @task(timeout_seconds=0.1, retries=1)
    def slow_then_fast():
        attempts.append(1)
        if len(attempts) == 1:
            release.wait(60)
            finished.append("too late")
        return "fast"

    @flow
    def f():
        return slow_then_fast()

    assert f() == "fast"
    assert (len(attempts), finished) == (2, [])  # the retry did not wait for the first attempt


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
