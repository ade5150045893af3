"""Futures: submit, wait, as_completed, map, and dependencies recorded in the store."""

from __future__ import annotations

import threading
import time

import pytest

from praefect import exceptions, flow, task, unmapped
from praefect.exceptions import MappingLengthMismatch, MappingMissingIterable
from praefect.futures import PrefectFuture, as_completed, wait
from praefect.states import StateType
from praefect.task_runners import ThreadPoolTaskRunner
from tests.engine.conftest import flow_run_id_of, task_runs_of


@task
def add(x, y=0):
    return x + y


@task
def nap(seconds):
    time.sleep(seconds)
    return seconds


def test_submit_returns_a_future_with_result_wait_and_state():
    @flow
    def f():
        fut = add.submit(1, 2)
        assert isinstance(fut, PrefectFuture)
        fut.wait()
        return fut.state.type, fut.result(), fut.task_run_id is not None

    assert f() == (StateType.COMPLETED, 3, True)


def test_wait_splits_done_and_not_done():
    @flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
    def f():
        quick = nap.submit(0.01)
        slow = nap.submit(1.0)
        done, not_done = wait([quick, slow], timeout=0.3)
        return quick in done, slow in not_done

    assert f() == (True, True)


def test_as_completed_yields_in_order_of_finishing():
    # each task finishes only when released, in the order 1, 2, 0: no timing assumptions
    gates = [threading.Event() for _ in range(3)]

    @task
    def gated(i):
        assert gates[i].wait(30)
        return i

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=3))
    def f():
        futures = [gated.submit(i) for i in range(3)]
        release = iter([1, 2, 0])
        gates[next(release)].set()
        order = []
        for fut in as_completed(futures):
            order.append(fut.result())
            following = next(release, None)
            if following is not None:
                gates[following].set()
        return order

    assert f() == [1, 2, 0]


def test_as_completed_times_out():
    @flow
    def f():
        slow = nap.submit(1.0)
        with pytest.raises(TimeoutError):
            list(as_completed([slow], timeout=0.05))
        return "ok"

    assert f() == "ok"


def test_future_result_times_out():
    @flow
    def f():
        slow = nap.submit(1.0)
        started = time.perf_counter()
        with pytest.raises(TimeoutError):
            slow.result(timeout=0.05)
        return time.perf_counter() - started

    assert f() < 0.5


def test_map_zips_iterables_and_passes_unmapped_whole():
    @task
    def combine(x, y, extra):
        return (x, y, len(extra))

    @flow
    def f():
        return combine.map([1, 2, 3], ["a", "b", "c"], unmapped([0, 0])).result()

    assert f() == [(1, "a", 2), (2, "b", 2), (3, "c", 2)]


def test_map_over_a_future_of_a_list():
    @task
    def numbers():
        return [1, 2, 3]

    @flow
    def f():
        return add.map(numbers.submit(), unmapped(10)).result()

    assert f() == [11, 12, 13]


def test_map_with_iterables_of_different_lengths_names_them():
    @flow
    def f():
        add.map([1, 2, 3], [1, 2])

    with pytest.raises(MappingLengthMismatch, match=r"x=3.*y=2"):
        f()


def test_map_without_any_iterable_explains_unmapped():
    @flow
    def f():
        add.map(1, unmapped(2))

    with pytest.raises(MappingMissingIterable, match="unmapped"):
        f()


def test_futures_passed_as_arguments_are_resolved():
    @flow
    def f():
        a = add.submit(1, 1)
        b = add.submit(a, 10)
        c = add(b, y=a)
        return c

    assert f() == 14


def test_futures_inside_collections_are_resolved():
    @task
    def total(values, mapping):
        return sum(values) + mapping["k"]

    @flow
    def f():
        futs = [add.submit(i) for i in range(3)]
        return total(futs, {"k": add.submit(100)})

    assert f() == 103


def test_dependencies_are_recorded_as_task_inputs(client):
    @task
    def extract():
        return [1, 2]

    @task
    def transform(rows, factor):
        return [r * factor for r in rows]

    @task
    def load(rows):
        return len(rows)

    @flow
    def etl():
        raw = extract.submit()
        doubled = transform.submit(raw, 2)
        return load(doubled)

    state = etl(return_state=True)
    assert state.result() == 2
    runs = {tr.name.split("-")[0]: tr for tr in task_runs_of(client, flow_run_id_of(state))}
    assert set(runs) == {"extract", "transform", "load"}
    assert [i.id for i in runs["transform"].task_inputs["rows"]] == [runs["extract"].id]
    assert runs["transform"].task_inputs.get("factor", []) == []
    assert [i.id for i in runs["load"].task_inputs["rows"]] == [runs["transform"].id]
    assert runs["extract"].task_inputs == {} or all(
        v == [] for v in runs["extract"].task_inputs.values()
    )


def test_wait_for_orders_runs_and_is_recorded(client):
    order = []

    @task
    def first():
        time.sleep(0.1)
        order.append("first")

    @task
    def second():
        order.append("second")

    @flow
    def f():
        a = first.submit()
        second.submit(wait_for=[a]).wait()

    state = f(return_state=True)
    assert state.type == StateType.COMPLETED
    assert order == ["first", "second"]
    runs = {tr.name.split("-")[0]: tr for tr in task_runs_of(client, flow_run_id_of(state))}
    assert [i.id for i in runs["second"].task_inputs["wait_for"]] == [runs["first"].id]


def test_future_list_result_and_wait():
    @flow
    def f():
        futures = add.map(range(5))
        futures.wait()
        assert all(fut.state.is_completed() for fut in futures)
        return futures.result()

    assert f() == [0, 1, 2, 3, 4]


def test_map_records_one_task_run_per_element(client):
    @flow
    def f():
        return add.map(range(20), unmapped(1)).result()

    state = f(return_state=True)
    assert state.result() == list(range(1, 21))
    runs = task_runs_of(client, flow_run_id_of(state))
    assert len(runs) == 20
    assert {tr.state.type for tr in runs} == {StateType.COMPLETED}


def test_future_passed_to_a_subflow_is_resolved_and_recorded(client):
    @task
    def produce():
        return 41

    @flow
    def child(x: int):
        return x + 1

    @flow
    def parent():
        return child(produce.submit())

    state = parent(return_state=True)
    assert state.result() == 42
    runs = {tr.name.split("-")[0]: tr for tr in task_runs_of(client, flow_run_id_of(state))}
    assert [i.id for i in runs["child"].task_inputs["x"]] == [runs["produce"].id]


def test_subflow_waits_for_wait_for():
    order = []

    @task
    def slow():
        time.sleep(0.1)
        order.append("task")

    @flow
    def child():
        order.append("subflow")

    @flow
    def parent():
        fut = slow.submit()
        child(wait_for=[fut])

    parent()
    assert order == ["task", "subflow"]


def test_subflow_with_a_failed_upstream_does_not_run(client):
    ran = []

    @task
    def broken():
        raise ValueError("no input")

    @flow
    def child(x):
        ran.append(x)

    @flow
    def parent():
        return {"child": child(broken.submit(), return_state=True)}

    child_state = parent()["child"]
    assert ran == []
    assert (child_state.type, child_state.name) == (StateType.PENDING, "NotReady")
    stored = client.read_flow_run(flow_run_id_of(child_state))
    assert stored.state.name == "NotReady"


def test_task_called_inside_a_task_is_linked_to_its_parent(client):
    @task
    def inner():
        return 1

    @task
    def outer():
        return inner() + 1

    @flow
    def f():
        return outer()

    state = f(return_state=True)
    assert state.result() == 2
    runs = {tr.name.split("-")[0]: tr for tr in task_runs_of(client, flow_run_id_of(state))}
    assert [i.id for i in runs["inner"].task_inputs["__parents__"]] == [runs["outer"].id]


def test_submit_with_return_state_gives_the_final_state():
    @task
    def broken():
        raise ValueError("x")

    @flow
    def f():
        state = broken.submit(return_state=True)
        return state.type, state.is_final()

    assert f() == (StateType.FAILED, True)


def test_a_result_that_never_came_names_the_failed_upstream_and_its_error():
    @task
    def score(rows: int) -> float:
        raise ValueError("bad batch: 12 rows")

    @task
    def report(mean: float) -> str:
        return f"mean {mean}"

    @flow
    def pipeline() -> str:
        mean = score.submit(12)
        return report.submit(mean).result()

    with pytest.raises(exceptions.UnfinishedRun) as caught:
        pipeline()
    message = str(caught.value)
    assert message.startswith("Run is in PENDING state, its result is not available: ")
    assert "Upstream task run 'score-" in message
    assert "(it is Failed: ValueError('bad batch: 12 rows'))" in message
