"""State-change hooks of flows and tasks."""

from __future__ import annotations

import logging

import pytest

from praefect import flow, task
from praefect.states import StateType
from tests.engine.conftest import flow_run_id_of


def test_flow_hooks_run_on_running_and_on_completion():
    calls = []

    def on_running(flow, flow_run, state):
        calls.append(("running", flow.name, state.type))

    def on_completion(flow, flow_run, state):
        calls.append(("completed", flow_run.name, state.type))

    @flow(flow_run_name="hooked-run", on_running=[on_running], on_completion=[on_completion])
    def hooked():
        return 1

    hooked()
    assert calls == [
        ("running", "hooked", StateType.RUNNING),
        ("completed", "hooked-run", StateType.COMPLETED),
    ]


def test_flow_on_failure_hook_sees_the_failed_state():
    seen = []

    @flow(on_failure=[lambda f, r, s: seen.append((s.type, s.message))])
    def broken():
        raise ValueError("nope")

    broken(return_state=True)
    assert len(seen) == 1
    assert seen[0][0] == StateType.FAILED
    assert "nope" in seen[0][1]


def test_hooks_can_be_added_with_decorators():
    seen = []

    @flow
    def f():
        return 1

    @f.on_completion
    def note(flow, flow_run, state):
        seen.append("flow")

    @task
    def t():
        return 1

    @t.on_completion
    def note_task(task, task_run, state):
        seen.append("task")

    f()
    t()
    assert seen == ["flow", "task"]


def test_keyboard_interrupt_in_a_flow_crashes_it_and_is_reraised(client):
    crashed = []
    ids = []

    def on_crashed(flow, flow_run, state):
        crashed.append(state.type)

    @flow(on_crashed=[on_crashed])
    def interrupted():
        from praefect.runtime import flow_run

        ids.append(flow_run.id)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    stored = client.read_flow_run(ids[0])
    assert stored.state.type == StateType.CRASHED
    assert crashed == [StateType.CRASHED]


def test_task_hooks_run_on_running_completion_and_failure():
    calls = []

    @task(
        on_running=[lambda t, r, s: calls.append(("running", t.name))],
        on_completion=[lambda t, r, s: calls.append(("completed", r.name))],
    )
    def good():
        return 1

    @task(task_run_name="bad-run", on_failure=[lambda t, r, s: calls.append(("failed", r.name))])
    def bad():
        raise RuntimeError("x")

    @flow
    def f():
        good()
        bad(return_state=True)

    f()
    assert calls[0] == ("running", "good")
    assert calls[1][0] == "completed" and calls[1][1].startswith("good-")
    assert calls[2] == ("failed", "bad-run")


def test_task_on_failure_runs_once_after_retries_are_exhausted():
    failures = []

    @task(retries=2, on_failure=[lambda t, r, s: failures.append(r.run_count)])
    def bad():
        raise RuntimeError("x")

    @flow
    def f():
        bad(return_state=True)

    f()
    assert failures == [3]


def test_async_hooks_are_awaited():
    seen = []

    async def hook(flow, flow_run, state):
        seen.append(state.name)

    @flow(on_completion=[hook])
    def f():
        return 1

    f()
    assert seen == ["Completed"]


def test_a_hook_that_raises_is_logged_and_does_not_change_the_state(client, caplog):
    def broken_hook(flow, flow_run, state):
        raise RuntimeError("hook exploded")

    after = []

    @flow(on_completion=[broken_hook, lambda f, r, s: after.append(1)])
    def f():
        return "fine"

    with caplog.at_level(logging.INFO, logger="praefect"):
        state = f(return_state=True)
    assert state.type == StateType.COMPLETED
    assert state.result() == "fine"
    assert after == [1]
    assert client.read_flow_run(flow_run_id_of(state)).state.type == StateType.COMPLETED
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert any("broken_hook" in r.getMessage() for r in errors)
    assert any("hook exploded" in str(r.exc_info[1]) for r in errors if r.exc_info)


def test_a_task_hook_that_raises_does_not_fail_the_task():
    def broken_hook(task, task_run, state):
        raise RuntimeError("hook exploded")

    @task(on_completion=[broken_hook])
    def t():
        return 5

    @flow
    def f():
        return t()

    assert f() == 5


def test_keyboard_interrupt_in_a_task_crashes_task_and_flow(client):
    ids = {}

    @task
    def interrupted():
        from praefect.runtime import task_run

        ids["task"] = task_run.id
        raise KeyboardInterrupt

    @flow
    def f():
        from praefect.runtime import flow_run

        ids["flow"] = flow_run.id
        interrupted()

    with pytest.raises(KeyboardInterrupt):
        f()
    assert client.read_task_run(ids["task"]).state.type == StateType.CRASHED
    assert client.read_flow_run(ids["flow"]).state.type == StateType.CRASHED
