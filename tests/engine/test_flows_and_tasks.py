"""Flows and tasks: names, options, sync and async mixed, subflows, runs outside flows."""

from __future__ import annotations

import asyncio
import time

import pytest

from praefect import flow, task
from praefect.runtime import flow_run, task_run
from praefect.states import StateType
from tests.engine.conftest import child_flow_runs_of, flow_run_id_of, task_runs_of


def test_default_names_come_from_the_function():
    @flow
    def load_daily_sales():
        return 1

    @task
    def fetch_rows():
        return 1

    assert load_daily_sales.name == "load-daily-sales"
    assert fetch_rows.name == "fetch_rows"


def test_fn_calls_the_plain_function_without_a_run(client):
    @task
    def double(x):
        return x * 2

    @flow
    def pipeline(x):
        return x + 1

    assert double.fn(4) == 8
    assert pipeline.fn(4) == 5
    assert client.read_flow_runs() == []
    assert client.read_task_runs() == []


def test_description_defaults_to_docstring_and_version_is_kept():
    @flow(version="2024.1")
    def documented():
        """Loads the thing."""

    @task(description="explicit")
    def described():
        """ignored"""

    assert documented.description == "Loads the thing."
    assert documented.version == "2024.1"
    assert described.description == "explicit"


def test_flow_with_options_returns_a_changed_copy(client):
    @flow(name="original", retries=0)
    def f(x):
        return flow_run.parameters["x"]

    nightly = f.with_options(name="nightly", retries=2, tags=["n"])
    assert (nightly.name, nightly.retries, nightly.tags) == ("nightly", 2, frozenset({"n"}))
    assert (f.name, f.retries) == ("original", 0)
    assert nightly(7) == 7
    [run] = client.read_flow_runs()
    assert client.read_flow(run.flow_id).name == "nightly"
    assert run.tags == ["n"]


def test_task_with_options_returns_a_changed_copy():
    @task(name="fetch", retries=1)
    def fetch():
        return task_run.name

    fast = fetch.with_options(name="fetch-fast", task_run_name="quick", retries=0)

    @flow
    def f():
        return fetch(), fast()

    first, second = f()
    assert first.startswith("fetch-")
    assert second == "quick"
    assert (fetch.retries, fast.retries) == (1, 0)


def test_with_options_rejects_unknown_options():
    @task
    def t():
        pass

    with pytest.raises(TypeError, match="retires"):
        t.with_options(retires=3)


async def test_async_flow_runs_async_tasks_concurrently():
    spans = {}

    @task
    async def nap(i):
        started = time.perf_counter()
        await asyncio.sleep(0.3)
        spans[i] = (started, time.perf_counter())
        return i

    @flow
    async def gather_naps():
        return await asyncio.gather(*(nap(i) for i in range(4)))

    assert await gather_naps() == [0, 1, 2, 3]
    # all four were sleeping at the same time: every one started before the first one ended
    assert max(start for start, _ in spans.values()) < min(end for _, end in spans.values())


async def test_sync_task_and_async_subflow_inside_an_async_flow(client):
    @task
    def sync_step(x):
        return x + 1

    @flow
    async def child(x):
        return x * 10

    @flow
    async def parent():
        return await child(sync_step(1))

    state = await parent(return_state=True)
    assert state.result() == 20
    runs = task_runs_of(client, flow_run_id_of(state))
    assert sorted(tr.state.type for tr in runs) == [StateType.COMPLETED] * 2


def test_subflow_is_linked_to_its_parent_through_a_wrapper_task_run(client):
    seen = {}

    @flow
    def child():
        seen["child"] = flow_run.id
        seen["parent_of_child"] = flow_run.parent_flow_run_id
        seen["root"] = flow_run.root_flow_run_id
        return "ok"

    @flow
    def parent():
        seen["parent"] = flow_run.id
        return child()

    assert parent() == "ok"
    assert seen["parent_of_child"] == seen["parent"]
    assert seen["root"] == seen["parent"]

    child_run = client.read_flow_run(seen["child"])
    assert child_run.parent_task_run_id is not None
    wrapper = client.read_task_run(child_run.parent_task_run_id)
    assert wrapper.flow_run_id == seen["parent"]
    assert wrapper.state.type == StateType.COMPLETED
    assert [r.id for r in child_flow_runs_of(client, seen["parent"])] == [seen["child"]]


def test_failed_subflow_fails_its_wrapper_and_parent(client):
    @flow
    def child():
        raise ValueError("child broke")

    @flow
    def parent():
        return child()

    state = parent(return_state=True)
    assert state.type == StateType.FAILED
    with pytest.raises(ValueError, match="child broke"):
        state.result()
    [wrapper] = task_runs_of(client, flow_run_id_of(state))
    assert wrapper.state.type == StateType.FAILED


def test_task_called_outside_a_flow_runs_and_is_recorded(client):
    @task
    def lonely(x):
        return x * 3

    assert lonely(5) == 15
    [run] = client.read_task_runs()
    assert run.flow_run_id is None
    assert run.state.type == StateType.COMPLETED
    assert run.name.startswith("lonely-")


def test_flow_run_name_template_and_callable(client):
    @flow(flow_run_name="report-{region}-{day}")
    def report(region: str, day: int):
        return flow_run.name

    def name_it():
        return f"called-{flow_run.parameters['n']}"

    @flow(flow_run_name=name_it)
    def named(n: int):
        return flow_run.name

    assert report("eu", 3) == "report-eu-3"
    assert named(9) == "called-9"
    assert sorted(r.name for r in client.read_flow_runs()) == ["called-9", "report-eu-3"]


def test_task_run_name_template_and_callable(client):
    @task(task_run_name="get-{item}")
    def get(item):
        return task_run.name

    @task(task_run_name=lambda: f"dyn-{task_run.parameters['x']}")
    def dyn(x):
        return task_run.name

    @flow
    def f():
        return get("apple"), dyn(4)

    state = f(return_state=True)
    assert state.result() == ("get-apple", "dyn-4")
    names = sorted(tr.name for tr in task_runs_of(client, flow_run_id_of(state)))
    assert names == ["dyn-4", "get-apple"]


def test_bad_flow_run_name_template_names_the_missing_parameter(client):
    @flow(flow_run_name="run-{missing}")
    def f(present):
        return present

    with pytest.raises(ValueError, match="missing") as info:
        f(1)
    assert "present" in str(info.value)
    assert client.read_flow_runs() == []


def test_bad_task_run_name_template_names_the_missing_parameter():
    @task(task_run_name="t-{nope}")
    def t(x):
        return x

    @flow
    def f():
        return t(1)

    with pytest.raises(ValueError, match="nope"):
        f()


def test_generated_flow_run_names_are_adjective_animal(client):
    @flow
    def f():
        return flow_run.name

    name = f()
    parts = name.split("-")
    assert len(parts) >= 2 and all(p.isalpha() for p in parts), name


def test_a_run_name_template_naming_no_parameter_is_a_clear_error():
    @task(task_run_name="add-{missing}")
    def add(a: int) -> int:
        return a

    @flow(flow_run_name="report-{region}")
    def report(day: str) -> None:
        pass

    with pytest.raises(ValueError, match=r"task_run_name 'add-\{missing\}' refers to 'missing'"):
        add(1)
    with pytest.raises(ValueError, match="parameters are: day"):
        report("monday")
