"""praefect.runtime, tags() and get_run_context()."""

from __future__ import annotations

import datetime as dt

import pytest

from praefect import flow, tags, task
from praefect.context import FlowRunContext, TaskRunContext, get_run_context
from praefect.exceptions import MissingContextError
from praefect.runtime import flow_run, task_run
from tests.engine.conftest import flow_run_id_of, task_runs_of


def test_flow_run_runtime_values(client):
    seen = {}

    @flow(flow_run_name="rt-{x}", tags=["flow-tag"])
    def f(x: int):
        seen.update(
            id=flow_run.id,
            name=flow_run.name,
            flow_name=flow_run.flow_name,
            parameters=flow_run.parameters,
            tags=sorted(flow_run.tags),
            run_count=flow_run.run_count,
            scheduled=flow_run.scheduled_start_time,
            parent=flow_run.parent_flow_run_id,
            root=flow_run.root_flow_run_id,
        )

    state = f(5, return_state=True)
    assert seen["id"] == flow_run_id_of(state)
    assert seen["name"] == "rt-5"
    assert seen["flow_name"] == "f"
    assert seen["parameters"] == {"x": 5}
    assert seen["tags"] == ["flow-tag"]
    assert seen["run_count"] == 1
    assert isinstance(seen["scheduled"], dt.datetime)
    assert seen["parent"] is None
    assert seen["root"] == seen["id"]
    stored = client.read_flow_run(seen["id"])
    assert stored.name == "rt-5"
    assert stored.parameters == {"x": 5}


def test_task_run_runtime_values(client):
    seen = {}

    @task(tags=["t1"], task_run_name="named-{n}")
    def t(n):
        seen.update(
            id=task_run.id,
            name=task_run.name,
            task_name=task_run.task_name,
            parameters=task_run.parameters,
            tags=sorted(task_run.tags),
            run_count=task_run.run_count,
            flow_run_id=flow_run.id,
        )

    @flow
    def f():
        t(3)

    state = f(return_state=True)
    [stored] = task_runs_of(client, flow_run_id_of(state))
    assert seen["id"] == stored.id
    assert seen["name"] == stored.name == "named-3"
    assert seen["task_name"] == "t"
    assert seen["parameters"] == {"n": 3}
    assert seen["tags"] == ["t1"]
    assert seen["run_count"] == 1
    assert seen["flow_run_id"] == flow_run_id_of(state)


def test_runtime_values_are_empty_outside_a_run():
    assert flow_run.id is None
    assert flow_run.name is None
    assert flow_run.parameters == {}
    assert flow_run.tags == []
    assert task_run.id is None
    assert task_run.parameters == {}


def test_tags_context_manager_tags_runs_started_inside(client):
    @task
    def t():
        return sorted(task_run.tags)

    @flow(tags=["own"])
    def f():
        with tags("inner"):
            return t()

    with tags("outer", "etl"):
        state = f(return_state=True)
    assert state.result() == ["etl", "inner", "outer"]
    assert sorted(client.read_flow_run(flow_run_id_of(state)).tags) == ["etl", "outer", "own"]
    [stored] = task_runs_of(client, flow_run_id_of(state))
    assert sorted(stored.tags) == ["etl", "inner", "outer"]


def test_tags_yields_the_current_tags():
    with tags("a"), tags("b") as current:
        assert current == {"a", "b"}


def test_get_run_context_inside_flow_and_task():
    @task
    def t():
        ctx = get_run_context()
        return isinstance(ctx, TaskRunContext), ctx.task_run.name

    @flow
    def f():
        ctx = get_run_context()
        assert isinstance(ctx, FlowRunContext)
        assert ctx.flow_run.id == flow_run.id
        return t()

    is_task_ctx, name = f()
    assert is_task_ctx and name.startswith("t-")


def test_get_run_context_outside_a_run_raises():
    with pytest.raises(MissingContextError):
        get_run_context()


def test_subflow_runtime_sees_its_parent_and_root():
    seen = {}

    @flow
    def grandchild():
        seen["gc"] = (flow_run.id, flow_run.parent_flow_run_id, flow_run.root_flow_run_id)

    @flow
    def child():
        seen["child"] = flow_run.id
        grandchild()

    @flow
    def root():
        seen["root"] = flow_run.id
        child()

    root()
    gc_id, gc_parent, gc_root = seen["gc"]
    assert gc_parent == seen["child"]
    assert gc_root == seen["root"]
    assert len({gc_id, seen["child"], seen["root"]}) == 3
