"""States: constructors, results, and how a run's final state is decided."""

from __future__ import annotations

import pytest

from praefect import allow_failure, flow, task
from praefect.runtime import flow_run
from praefect.states import (
    AwaitingRetry,
    Cancelled,
    Completed,
    Crashed,
    Failed,
    Late,
    Paused,
    Pending,
    Retrying,
    Running,
    Scheduled,
    StateType,
)
from praefect.utilities.annotations import quote
from tests.engine.conftest import flow_run_id_of, task_runs_of


@pytest.mark.parametrize(
    ("constructor", "type_", "name", "final"),
    [
        (Scheduled, StateType.SCHEDULED, "Scheduled", False),
        (Late, StateType.SCHEDULED, "Late", False),
        (AwaitingRetry, StateType.SCHEDULED, "AwaitingRetry", False),
        (Pending, StateType.PENDING, "Pending", False),
        (Running, StateType.RUNNING, "Running", False),
        (Retrying, StateType.RUNNING, "Retrying", False),
        (Paused, StateType.PAUSED, "Paused", False),
        (Completed, StateType.COMPLETED, "Completed", True),
        (Failed, StateType.FAILED, "Failed", True),
        (Crashed, StateType.CRASHED, "Crashed", True),
        (Cancelled, StateType.CANCELLED, "Cancelled", True),
    ],
)
def test_state_constructors_have_type_name_and_finality(constructor, type_, name, final):
    state = constructor()
    assert (state.type, state.name, state.is_final()) == (type_, name, final)


def test_constructor_accepts_a_custom_name_and_message():
    state = Failed(name="TimedOut", message="took too long")
    assert (state.type, state.name, state.message) == (
        StateType.FAILED,
        "TimedOut",
        "took too long",
    )


def test_scheduled_states_carry_their_time():
    assert Scheduled().state_details.scheduled_time is not None


def test_completed_state_result_is_its_data():
    assert Completed(data={"a": 1}).result() == {"a": 1}


def test_failed_state_result_raises_the_original_exception():
    @task
    def broken():
        raise ZeroDivisionError("no dividing")

    @flow
    def f():
        return {"state": broken(return_state=True)}

    state = f()["state"]
    with pytest.raises(ZeroDivisionError, match="no dividing"):
        state.result()
    exc = state.result(raise_on_failure=False)
    assert isinstance(exc, ZeroDivisionError)


def test_return_state_gives_the_final_state_instead_of_raising(client):
    @flow
    def broken():
        raise KeyError("k")

    state = broken(return_state=True)
    assert state.is_failed()
    assert "KeyError" in state.message
    assert client.read_flow_run(flow_run_id_of(state)).state.type == StateType.FAILED


def test_flow_call_raises_the_original_exception():
    @flow
    def broken():
        raise KeyError("k")

    with pytest.raises(KeyError):
        broken()


def test_flow_returning_a_state_takes_it_as_its_final_state(client):
    @flow
    def chooses():
        return Cancelled(message="nothing to do")

    state = chooses(return_state=True)
    assert state.type == StateType.CANCELLED
    assert state.message == "nothing to do"
    assert client.read_flow_run(flow_run_id_of(state)).state.type == StateType.CANCELLED


def test_flow_returning_a_failed_future_fails():
    @task
    def broken():
        raise ValueError("bad")

    @flow
    def f():
        return broken.submit()

    state = f(return_state=True)
    assert state.type == StateType.FAILED
    with pytest.raises(ValueError, match="bad"):
        state.result()


def test_flow_returning_states_fails_if_any_failed():
    @task
    def ok():
        return 1

    @task
    def broken():
        raise ValueError("bad")

    @flow
    def f():
        return [ok(return_state=True), broken(return_state=True), ok(return_state=True)]

    state = f(return_state=True)
    assert state.type == StateType.FAILED
    assert "1/3" in state.message


def test_unhandled_task_failure_fails_the_flow(client):
    ids = []

    @task
    def broken():
        raise LookupError("missing row")

    @flow
    def f():
        ids.append(flow_run.id)
        broken()
        return "unreachable"

    with pytest.raises(LookupError, match="missing row"):
        f()
    stored = client.read_flow_run(ids[0])
    assert stored.state.type == StateType.FAILED
    assert "missing row" in stored.state.message


def test_flow_returning_a_failed_task_state_fails_with_its_exception():
    @task
    def broken():
        raise ZeroDivisionError("no dividing")

    @flow
    def f():
        return broken(return_state=True)

    with pytest.raises(ZeroDivisionError):
        f()


def test_flow_returning_only_completed_states_completes():
    @task
    def ok(x):
        return x

    @flow
    def f():
        return [ok(1, return_state=True), ok(2, return_state=True)]

    assert f(return_state=True).type == StateType.COMPLETED


def test_flow_that_catches_a_task_failure_completes():
    @task
    def broken():
        raise ValueError("bad")

    @flow
    def f():
        state = broken(return_state=True)
        return "handled" if state.is_failed() else "?"

    assert f() == "handled"


def test_future_result_with_raise_on_failure_false_returns_the_exception():
    @task
    def broken():
        raise ValueError("bad")

    @flow
    def f():
        return broken.submit().result(raise_on_failure=False)

    assert isinstance(f(), ValueError)


def test_dependent_of_a_failed_upstream_is_not_ready(client):
    ran = []

    @task
    def broken():
        raise ValueError("upstream broke")

    @task
    def downstream(x):
        ran.append(x)

    @flow
    def f():
        up = broken.submit()
        down = downstream.submit(up)
        down.wait()
        return {"down": down.state}

    state = f(return_state=True)
    down_state = state.result()["down"]
    assert ran == []
    assert (down_state.type, down_state.name) == (StateType.PENDING, "NotReady")
    stored = {tr.name.split("-")[0]: tr for tr in task_runs_of(client, flow_run_id_of(state))}
    assert stored["downstream"].state.name == "NotReady"
    assert stored["broken"].state.type == StateType.FAILED


def test_allow_failure_runs_the_dependent_with_the_exception():
    @task
    def broken():
        raise ValueError("upstream broke")

    @task
    def cleanup(x):
        return f"cleaned after {type(x).__name__}"

    @flow
    def f():
        up = broken.submit()
        return cleanup.submit(allow_failure(up)).result()

    assert f() == "cleaned after ValueError"


def test_quote_passes_a_value_through_untouched():
    @task
    def inner():
        return 1

    @task
    def receives(x):
        return [type(item).__name__ for item in x]

    @flow
    def f():
        fut = inner.submit()
        fut.wait()
        return receives(quote([fut, 2]))

    assert f() == ["PrefectConcurrentFuture", "int"]


def test_flow_returning_its_subflows_state_takes_it_as_a_new_state(client):
    seen = {}

    @flow
    def child():
        seen["child"] = flow_run.id

    @flow
    def parent():
        seen["child_state"] = child(return_state=True)
        return seen["child_state"]

    state = parent(return_state=True)
    assert state.type == StateType.COMPLETED
    assert state.result() is None
    assert flow_run_id_of(state) != seen["child"]
    assert flow_run_id_of(seen["child_state"]) == seen["child"]
    assert client.read_flow_run(flow_run_id_of(state)).state.type == StateType.COMPLETED


def test_returned_states_and_futures_stand_for_their_results():
    @task
    def skipped():
        return Completed(message="nothing to do")

    @task
    def nothing():
        return None

    @flow
    def returns_task_result():
        return skipped()

    @flow
    def returns_state():
        return Completed(message="done early")

    @flow
    def returns_future():
        return nothing.submit()

    assert returns_task_result() is None
    assert returns_state() is None
    assert returns_future() is None
