"""Tag concurrency limits in the task engine: a task run with a limited tag takes a slot,
waits in ``AwaitingConcurrencySlot`` while there is none, and gives it back however it ends."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from praefect import flow, get_client, task
from praefect.concurrency.sync import concurrency
from praefect.task_runners import ThreadPoolTaskRunner


def tag_limit(tag: str, limit: int) -> None:
    with get_client(sync_client=True) as client:
        client.create_concurrency_limit(tag=tag, concurrency_limit=limit)


def holders(tag: str) -> list:
    with get_client(sync_client=True) as client:
        return list(client.read_concurrency_limit_by_tag(tag).active_slots)


def test_tasks_with_a_limited_tag_never_run_more_at_once_than_the_limit():
    tag_limit("db", 2)
    lock = threading.Lock()
    running, most = [0], [0]

    @task(tags=["db"])
    def query(i: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return i

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=5))
    def etl() -> list[int]:
        return query.map(range(5)).result()

    assert etl() == list(range(5))
    assert most[0] == 2
    assert holders("db") == []


def test_a_task_waiting_for_a_slot_is_awaiting_concurrency_slot_then_runs():
    tag_limit("db", 1)
    release = threading.Event()

    @task(tags=["db"])
    def query() -> str:
        return "done"

    box = {}

    @flow
    def etl() -> None:
        box["state"] = query(return_state=True)

    def hold_then_release() -> None:
        with concurrency("tag:db"):
            started.set()
            release.wait(10)

    started = threading.Event()
    holder = threading.Thread(target=hold_then_release)
    holder.start()
    started.wait(10)
    threading.Timer(0.2, release.set).start()
    etl()
    holder.join()
    state = box["state"]
    assert state.result() == "done"
    with get_client(sync_client=True) as client:
        names = [s.name for s in client.read_task_run_states(state.state_details["task_run_id"])]
    assert names[:3] == ["Pending", "AwaitingConcurrencySlot", "Running"]


def test_a_failing_or_crashing_task_gives_its_slot_back():
    tag_limit("db", 1)

    @task(tags=["db"])
    def fails() -> None:
        raise ValueError("boom")

    @task(tags=["db"])
    def interrupted() -> None:
        raise KeyboardInterrupt

    @flow
    def etl() -> None:
        fails(return_state=True)

    etl(return_state=True)
    assert holders("db") == []
    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert holders("db") == []


def test_a_tag_limit_of_zero_fails_its_tasks_without_running_them():
    tag_limit("closed", 0)
    ran = []

    @task(tags=["closed"])
    def never() -> None:
        ran.append(1)

    state = never(return_state=True)
    assert state.is_failed() and ran == []
    assert "'closed' is 0" in state.message


def test_async_tasks_waiting_for_a_tag_slot_let_their_loop_run():
    tag_limit("db", 1)
    order: list[str] = []

    @task(tags=["db"])
    async def query(name: str) -> None:
        order.append(f"{name} in")
        await asyncio.sleep(0.02)
        order.append(f"{name} out")

    @flow
    async def etl() -> None:
        await asyncio.gather(query("a"), query("b"), query("c"))

    asyncio.run(etl())
    assert len(order) == 6 and all(x.endswith("out") for x in order[1::2])
    assert holders("db") == []


def test_a_task_whose_tags_have_no_limit_asks_for_no_slot(monkeypatch):
    from praefect import client as _client

    door = _client.get_orchestration_client()
    asked = []
    monkeypatch.setattr(door, "acquire_concurrency_slots", lambda request: asked.append(request))

    @task(tags=["unlimited"])
    def plain() -> int:
        return 1

    @flow
    def etl() -> list[int]:
        return [plain() for _ in range(5)]

    assert etl() == [1] * 5
    assert asked == []


def test_a_task_interrupted_while_waiting_for_a_slot_is_crashed_not_left_waiting(monkeypatch):
    from praefect.concurrency import _slots

    tag_limit("db", 1)

    def interrupted(*args, **kwargs):
        kwargs["on_refused"]({"blocked": [{"name": "tag:db", "limit": 1}]})
        raise KeyboardInterrupt

    monkeypatch.setattr(_slots, "acquire", interrupted)

    @task(tags=["db"])
    def query() -> None:
        pytest.fail("ran without its slot")

    with pytest.raises(KeyboardInterrupt):
        query()
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs()
    assert [(r.state.type.value, r.state.name) for r in runs] == [("CRASHED", "Crashed")]
    names = [s.name for s in client.read_task_run_states(runs[0].id)]
    assert names == ["Pending", "AwaitingConcurrencySlot", "Crashed"]
