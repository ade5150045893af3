"""Retries of tasks and flows: counts, delays, backoff, jitter, retry conditions."""

from __future__ import annotations

import datetime as dt

import pytest

from praefect import flow, task
from praefect.runtime import flow_run, task_run
from praefect.states import StateType
from praefect.tasks import exponential_backoff
from praefect.testing.utilities import frozen_time
from tests.engine.conftest import flow_run_id_of, state_names, task_runs_of


def test_failed_task_is_retried_until_it_succeeds(client):
    attempts = []

    @task(retries=3, retry_delay_seconds=0)
    def flaky():
        attempts.append(task_run.run_count)
        if len(attempts) < 3:
            raise RuntimeError("not yet")
        return "done"

    @flow
    def f():
        return flaky()

    state = f(return_state=True)
    assert state.result() == "done"
    assert attempts == [1, 2, 3]
    [run] = task_runs_of(client, flow_run_id_of(state))
    assert run.run_count == 3
    names = state_names(client.read_task_run_states(run.id))
    assert names == [
        "Pending", "Running", "AwaitingRetry", "Retrying", "AwaitingRetry", "Retrying", "Completed"
    ]  # fmt: skip


def test_task_fails_when_retries_are_exhausted(client):
    calls = []

    @task(retries=2)
    def always_fails():
        calls.append(1)
        raise ValueError(f"attempt {len(calls)}")

    @flow
    def f():
        return {"state": always_fails(return_state=True)}

    task_state = f()["state"]
    assert task_state.type == StateType.FAILED
    assert len(calls) == 3
    with pytest.raises(ValueError, match="attempt 3"):
        task_state.result()


def _timed_attempts(delay_option, retries):
    """The gaps between the attempts of a task that always fails, in seconds of praefect's
    clock (frozen: a retry's delay moves it by exactly that delay, and nothing else does)."""
    stamps = []
    with frozen_time(run_services=False) as clock:

        @task(retries=retries, retry_delay_seconds=delay_option)
        def fails():
            stamps.append(clock.now())
            raise RuntimeError("x")

        @flow
        def f():
            fails(return_state=True)

        f()
    return [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:], strict=False)]


def test_list_of_delays_is_used_in_order_then_repeats_the_last():
    assert _timed_attempts([0.0, 0.05], retries=3) == [0.0, 0.05, 0.05]


def test_callable_delay_receives_the_retry_count():
    received = []

    def delays(retries):
        received.append(retries)
        return [0.01, 0.03][:retries]

    assert _timed_attempts(delays, retries=2) == [0.01, 0.03]
    assert received == [2]


def test_exponential_backoff_doubles_each_delay():
    assert exponential_backoff(0.01)(4) == [0.01, 0.02, 0.04, 0.08]
    assert _timed_attempts(exponential_backoff(0.02), retries=2) == [0.02, 0.04]


def test_retry_jitter_stays_within_the_factor(client):
    @task(retries=4, retry_delay_seconds=0.02, retry_jitter_factor=0.5)
    def fails():
        raise RuntimeError("x")

    @flow
    def f():
        fails(return_state=True)

    state = f(return_state=True)
    [run] = task_runs_of(client, flow_run_id_of(state))
    states = client.read_task_run_states(run.id)
    waits = [
        (_as_datetime(s.state_details.scheduled_time) - s.timestamp).total_seconds()
        for s in states
        if s.name == "AwaitingRetry"
    ]
    assert len(waits) == 4
    assert all(0.01 - 0.002 <= w <= 0.03 + 0.002 for w in waits), waits


def _as_datetime(value):
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def test_stored_awaiting_retry_state_carries_its_scheduled_time(client):
    @task(retries=1, retry_delay_seconds=0.01)
    def flaky():
        if task_run.run_count == 1:
            raise RuntimeError("once")

    @flow
    def f():
        flaky()

    state = f(return_state=True)
    [run] = task_runs_of(client, flow_run_id_of(state))
    [awaiting] = [s for s in client.read_task_run_states(run.id) if s.name == "AwaitingRetry"]
    assert isinstance(awaiting.state_details.scheduled_time, dt.datetime)
    assert awaiting.state_details.scheduled_time > awaiting.timestamp


def test_retry_condition_fn_can_veto_a_retry():
    calls = []

    def only_on_timeout(task, task_run, state):
        try:
            state.result()
        except TimeoutError:
            return True
        except Exception:
            return False
        return False

    @task(retries=5, retry_condition_fn=only_on_timeout)
    def fails(kind):
        calls.append(kind)
        if kind == "timeout" and len(calls) < 3:
            raise TimeoutError("slow")
        raise KeyError("fatal")

    @flow
    def f(kind):
        return fails(kind, return_state=True).type

    assert f("fatal") == StateType.FAILED
    assert calls == ["fatal"]
    calls.clear()
    assert f("timeout") == StateType.FAILED
    assert calls == ["timeout"] * 3


def test_flow_is_retried_with_run_count_1_then_2(client):
    counts = []

    @flow(retries=1, retry_delay_seconds=0)
    def flaky_flow():
        counts.append(flow_run.run_count)
        if len(counts) == 1:
            raise RuntimeError("first time fails")
        return "second time works"

    state = flaky_flow(return_state=True)
    assert state.result() == "second time works"
    assert counts == [1, 2]
    run = client.read_flow_run(flow_run_id_of(state))
    assert run.run_count == 2
    assert run.state.type == StateType.COMPLETED
    assert "AwaitingRetry" in state_names(client.read_flow_run_states(run.id))


def test_flow_retry_reruns_its_tasks(client):
    attempts = []

    @task
    def step():
        attempts.append(flow_run.run_count)
        if len(attempts) == 1:
            raise RuntimeError("boom")

    @flow(retries=2, retry_delay_seconds=0.01)
    def f():
        step()

    f()
    assert attempts == [1, 2]


def test_flow_fails_when_its_retries_are_exhausted(client):
    @flow(retries=1)
    def always():
        raise RuntimeError(f"run {flow_run.run_count}")

    state = always(return_state=True)
    assert state.type == StateType.FAILED
    with pytest.raises(RuntimeError, match="run 2"):
        state.result()
    assert client.read_flow_run(flow_run_id_of(state)).run_count == 2


def test_negative_retries_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="retries"):

        @task(retries=-1)
        def t():
            pass
