"""Results, caching and transactions as a user of flows and tasks sees them."""

from __future__ import annotations

import json
import logging
import threading
import uuid

import pytest

from praefect import flow, get_client, task
from praefect.cache_policies import INPUTS
from praefect.runtime import flow_run
from praefect.transactions import transaction


def test_persisted_flow_result_is_read_back_from_storage_through_the_client():
    @flow(persist_result=True)
    def produce() -> dict:
        return {"answer": 42, "run": str(flow_run.id)}

    value = produce()
    with get_client(sync_client=True) as client:
        stored = client.read_flow_run(uuid.UUID(value["run"]))
    assert stored.state.is_completed()
    assert stored.state.result() == value


def test_cached_task_is_not_run_again_in_a_later_flow_run_and_is_stored_cached():
    calls = []
    token = uuid.uuid4().hex

    @task(cache_policy=INPUTS)
    def expensive(x: int, token: str) -> int:
        calls.append(x)
        return x * 2

    @flow
    def pipeline() -> tuple:
        return expensive(2, token), expensive(2, token, return_state=True)

    first, second = pipeline()
    assert first == 4 and calls == [2]
    assert second.name == "Cached" and second.is_completed() and second.result() == 4
    again, _ = pipeline()
    assert again == 4 and calls == [2]
    with get_client(sync_client=True) as client:
        names = [s.name for s in client.read_task_run_states(second.state_details["task_run_id"])]
    assert names == ["Pending", "Cached"]


def test_a_failed_attempt_caches_nothing():
    calls = []
    token = uuid.uuid4().hex

    @task(cache_policy=INPUTS, retries=1)
    def flaky(token: str) -> str:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first attempt fails")
        return "ok"

    @flow
    def f() -> list:
        return [flaky(token), flaky(token)]

    assert f() == ["ok", "ok"]
    assert len(calls) == 2  # the retry computed it; the second call was a cache hit


def test_json_result_with_storage_key_is_a_readable_document(tmp_path):
    @task(result_storage=str(tmp_path), result_storage_key="square-{parameters[x]}.json",
          result_serializer="json")  # fmt: skip
    def square(x: int) -> dict:
        return {"square": x * x}

    @flow
    def f() -> dict:
        return square(4)

    assert f() == {"square": 16}
    document = json.loads((tmp_path / "square-4.json").read_text())
    assert document["result"] == {"square": 16}


def test_cache_hits_and_misses_are_logged_at_debug_with_the_key(caplog):
    caplog.set_level(logging.DEBUG, logger="praefect.cache")
    token = uuid.uuid4().hex

    @task(cache_key_fn=lambda ctx, params: f"key-{token}")
    def t() -> int:
        return 1

    @flow
    def f() -> None:
        t()
        t()

    f()
    messages = [r.getMessage() for r in caplog.records if r.name == "praefect.cache"]
    assert any(f"cache miss for key key-{token}" in m for m in messages), messages
    assert any(f"cache hit for key key-{token}" in m for m in messages), messages


def test_an_unhashable_input_warns_naming_it_and_is_never_a_cache_hit(caplog):
    calls = []

    @task(cache_policy=INPUTS)
    def uses_lock(lock: object, x: int) -> int:
        calls.append(x)
        return x

    @flow
    def f() -> None:
        lock = threading.Lock()
        uses_lock(lock, 1)
        uses_lock(lock, 1)

    with caplog.at_level(logging.WARNING):
        f()
    assert calls == [1, 1]
    assert any("lock" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_transaction_rollback_runs_hooks_newest_first_and_commit_hooks_on_success():
    events: list[str] = []

    @task
    def step(name: str) -> str:
        return name

    @step.on_rollback
    def undo(txn) -> None:
        events.append("undo")

    @step.on_commit
    def done(txn) -> None:
        events.append("commit")

    first = step.with_options(name="first", on_rollback=[lambda txn: events.append("undo-1")])
    second = step.with_options(name="second", on_rollback=[lambda txn: events.append("undo-2")])

    @task
    def boom() -> None:
        raise ValueError("fails")

    @flow
    def failing() -> None:
        with transaction():
            first("a")
            second("b")
            boom()

    state = failing(return_state=True)
    assert state.is_failed()
    assert events == ["undo-2", "undo-1"]
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs()
        rolled_back = sorted(r.name.split("-")[0] for r in runs if r.state_name == "RolledBack")
    assert rolled_back == ["first", "second"]  # stored: the completed work was undone

    events.clear()

    @flow
    def succeeding() -> None:
        with transaction():
            step("c")

    succeeding()
    assert events == ["commit"]


def test_result_not_kept_in_memory_is_loaded_back_from_storage():
    @task(persist_result=True, cache_result_in_memory=False)
    def big() -> list:
        return list(range(1000))

    seen = []

    @flow
    def f():
        seen.append(big(return_state=True))

    f()
    [state] = seen
    assert not state.data.has_value()  # only the reference stays in memory
    assert state.result() == list(range(1000))


@pytest.mark.parametrize("persist", [False, None])
def test_results_are_not_persisted_unless_asked(persist, tmp_path):
    @task(persist_result=persist)
    def plain() -> int:
        return 7

    seen = []

    @flow
    def f():
        seen.append(plain(return_state=True))

    f()
    assert seen[0].data == 7


def test_a_result_that_was_not_persisted_cannot_be_read_back_from_the_store():
    from praefect.exceptions import MissingResult

    @flow
    def unpersisted() -> str:
        return str(flow_run.id)

    run_id = unpersisted()
    with get_client(sync_client=True) as client:
        stored = client.read_flow_run(uuid.UUID(run_id))
    assert stored.state.is_completed()
    with pytest.raises(MissingResult, match="not persisted"):
        stored.state.result()
